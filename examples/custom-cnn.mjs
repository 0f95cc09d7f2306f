// A custom CNN on synthetic colour images: build, train, evaluate, predict, save, load, predict again.
// Run: node custom-cnn.mjs   (in a project where `npm i wgml` was run; no dataset needed)
import { requestGpu, createDataset, loadModel, Sequential, Conv2d, MaxPool2d, Dropout, Flatten, Dense } from 'wgml';

// 1. Make the data: 16x16 RGB images of noise with a 6x6 coloured square somewhere in one quadrant.
//    The class says which quadrant (4) and which colour (red, green or blue): 12 classes.
const H = 16, W = 16, C = 3, SIZE = H * W * C;
const classes = ['top-left', 'top-right', 'bottom-left', 'bottom-right'].flatMap((q) => ['red', 'green', 'blue'].map((c) => `${c} ${q}`));
let state = 42; // a tiny seeded random generator, so every run sees the same images
const random = () => ((state = (state * 1664525 + 1013904223) >>> 0) / 2 ** 32);
const randint = (n) => Math.floor(random() * n);

function makeImages(count) {
  const images = new Uint8Array(count * SIZE); // pixels 0..255, example after example, HWC order
  const labels = new Uint32Array(count);
  for (let i = 0; i < count; i++) {
    const label = randint(classes.length), quadrant = Math.floor(label / 3), colour = label % 3;
    const image = images.subarray(i * SIZE, (i + 1) * SIZE);
    for (let p = 0; p < SIZE; p++) image[p] = randint(80); // dim background noise
    const top = (quadrant >> 1) * 8 + randint(3), left = (quadrant & 1) * 8 + randint(3);
    for (let y = top; y < top + 6; y++) {
      for (let x = left; x < left + 6; x++) image[(y * W + x) * C + colour] = 180 + randint(76);
    }
    labels[i] = label;
  }
  return { images, labels };
}
const data = createDataset(
  { train: makeImages(3000), test: makeImages(600), shape: [H, W, C], classes },
  { preprocessing: 'scale01', validationSplit: 0.1 }, // pixels / 255; the last 10% of train validates
);

// 2. The model: two conv + pool blocks, dropout, then dense layers ending in a softmax over the classes.
const model = new Sequential({
  input: [H, W, C],
  layers: [
    new Conv2d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu' }), new MaxPool2d({ poolSize: 2 }),
    new Conv2d({ filters: 16, kernelSize: 3, padding: 'same', activation: 'relu' }), new MaxPool2d({ poolSize: 2 }),
    new Dropout({ rate: 0.25 }), // zeroes a random quarter of the features while training only
    new Flatten(),
    new Dense({ units: 32, activation: 'relu' }),
    new Dense({ units: classes.length, activation: 'softmax' }),
  ],
});
console.log(model.summary());

// 3. Put it on the GPU (WebGPU; in Node through the `webgpu` package), train it, and test it.
const gpu = await requestGpu();
await model.compile(gpu, { seed: 1 });
await model.fit(data, {
  epochs: 5, batchSize: 32, optimizer: 'adam', lr: 3e-3,
  callbacks: {
    onEpochEnd: (r) => console.log(`epoch ${r.epoch}: loss ${r.loss.toFixed(4)} accuracy ${r.accuracy.toFixed(3)}` +
      ` | validation loss ${r.valLoss.toFixed(4)} accuracy ${r.valAccuracy.toFixed(3)} (${r.seconds.toFixed(1)} s)`),
  },
});
const { accuracy } = await model.evaluate(data); // the test set
console.log(`test accuracy: ${(accuracy * 100).toFixed(2)}%`);
const problems = accuracy < 0.9 ? [`test accuracy ${accuracy} is below 0.9: the model did not learn`] : [];

// 4. Predict a few test images: predict() takes raw pixels and returns [count, classes] probabilities.
const some = data.test.images.subarray(0, 5 * SIZE);
const probabilities = await model.predict(some);
for (let i = 0; i < 5; i++) {
  const row = Array.from(probabilities.subarray(i * classes.length, (i + 1) * classes.length));
  console.log(`image ${i}: predicted '${classes[row.indexOf(Math.max(...row))]}', true '${classes[data.test.labels[i]]}'`);
}

// 5. Save (safetensors bytes: weights, pre-processing, architecture), load, and predict again.
const bytes = await model.save({ example: 'custom-cnn' }); // e.g. fs.writeFileSync('model.safetensors', bytes)
const loaded = await loadModel(bytes);
await loaded.compile(gpu);
const again = await loaded.predict(some);
const identical = again.length === probabilities.length && again.every((v, i) => v === probabilities[i]);
console.log(`saved ${bytes.length} bytes; the loaded model's predictions are ${identical ? 'identical' : 'DIFFERENT'}`);
if (!identical) problems.push('the loaded model predicts differently from the saved one');

// 6. Free the models' GPU memory, then the device itself; fail (exit code 1) if anything was wrong.
model.release(); loaded.release(); gpu.release();
if (problems.length > 0) {
  console.error(`FAILED: ${problems.join('; ')}`);
  process.exit(1);
}
