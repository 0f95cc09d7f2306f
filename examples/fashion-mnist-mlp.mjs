// The course report's multi-layer perceptron on Fashion-MNIST, one epoch, from the files on disk.
// Run: node fashion-mnist-mlp.mjs   (in a project where `npm i wgml` was run)
// Data: the four .gz files of https://github.com/zalandoresearch/fashion-mnist, looked for in
// $WGML_DATA, then ./data/fashion-mnist, then /usr/share/datasets/fashion-mnist (Debian's
// `dataset-fashion-mnist` package); `npx wgml download` fetches them into ./data/fashion-mnist.
import { requestGpu, createDataset, seedModel } from 'wgml';
import { loadFashionMnistFromDisk } from 'wgml/node';

// 1. Read the 60,000 training and 10,000 test images (28x28 grey, uint8) with their labels.
const fashion = await loadFashionMnistFromDisk();
console.log(`Fashion-MNIST from ${fashion.dir}: ${fashion.train.labels.length} training, ${fashion.test.labels.length} test images`);

// 2. The report's MLP: Flatten, Dense 512/256/128 ReLU, Dense 10 softmax. `seed.fit` and
//    `seed.data` hold the report's settings (Adam, lr 1e-4, batches of 256, pixels / 255).
//    Written out by hand it would be:
//      new Sequential({ input: [28, 28, 1], layers: [new Flatten(), new Dense({ units: 512, activation: 'relu' }),
//        new Dense({ units: 256, activation: 'relu' }), new Dense({ units: 128, activation: 'relu' }),
//        new Dense({ units: 10, activation: 'softmax' })] })
const seed = seedModel('mlp');
const model = seed.build();
console.log(model.summary());

// 3. The dataset: scale pixels to [0, 1]; as in the report, the test set also serves as validation.
const data = createDataset(fashion, { preprocessing: seed.data.preprocessing });

// 4. Train one epoch (the report trains up to 15), printing progress now and then.
const gpu = await requestGpu();
await model.compile(gpu, { seed: seed.fit.seed });
let lastPrint = 0;
await model.fit(data, {
  ...seed.fit,
  epochs: 1,
  callbacks: {
    onBatchEnd: ({ step, steps, loss, imagesPerSecond }) => {
      if (Date.now() - lastPrint < 5000 || loss === undefined) return; // at most every 5 s
      lastPrint = Date.now();
      console.log(`  step ${step}/${steps}: loss ${loss.toFixed(4)}, ${Math.round(imagesPerSecond)} images/s`);
    },
    onEpochEnd: (r) => console.log(`epoch ${r.epoch}: loss ${r.loss.toFixed(4)} accuracy ${r.accuracy.toFixed(4)} (${r.seconds.toFixed(1)} s)`),
  },
});

// 5. Test accuracy, and how the test images of each class were classified.
const evaluation = await model.evaluate(data);
console.log(`test loss ${evaluation.meanLoss.toFixed(4)}, test accuracy ${(evaluation.accuracy * 100).toFixed(2)}%` +
  ` (the report, after its full training: ${(seed.reportedAccuracy * 100).toFixed(2)}%)`);
data.classes.forEach((name, c) => {
  const row = evaluation.confusion.subarray(c * data.classes.length, (c + 1) * data.classes.length);
  const total = row.reduce((a, b) => a + b, 0);
  console.log(`  ${name.padEnd(12)} ${((row[c] / total) * 100).toFixed(1)}% of ${total}`);
});

// 6. Free the GPU; fail (exit code 1) if one epoch did not reach 80%.
model.release();
gpu.release();
if (evaluation.accuracy < 0.8) {
  console.error(`FAILED: test accuracy ${evaluation.accuracy} is below 0.80`);
  process.exit(1);
}
