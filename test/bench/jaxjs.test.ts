/**
 * The jax-js side of `bench --compare jaxjs` has the seed models' parameter counts and computes what
 * wgml computes: from wgml's initial weights and the same batch, one jitted jax-js step gives wgml's
 * first-step loss and wgml's updated weights (one-hidden with SGD, the mlp with Adam), on jax-js's
 * webgpu and wasm devices; and the CNN's forward pass (conv layouts, flatten order) gives wgml's
 * predictions. Skipped when the dev dependency @jax-js/jax is not installed.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createDataset } from '../../src/data/dataset';
import { applyAffine } from '../../src/data/preprocess';
import { seedModel, type ModelName } from '../../src/models/seed-models';
import { useGpu } from '../support/gpu';
import { syntheticData } from './synthetic';

const installed = await import('@jax-js/jax').then(() => true, () => false);
// Imported only when installed: a missing dependency skips the file, a broken module still fails it.
const jax = installed ? await import('@jax-js/jax') : null;
const models = installed ? await import('../../bench/jaxjs/models') : null;
const backends = installed ? await import('../../bench/jaxjs/backends') : null;

const gpu = useGpu();
afterAll(() => backends?.releaseJaxjs());

/** wgml's model for `name`, compiled with seed 1, and its weights before anything else runs. */
async function wgmlModel(name: ModelName) {
  const model = seedModel(name).build();
  await model.compile(gpu(), { seed: 1 });
  return { model, initial: await model.getWeights() };
}

/** One batch of the model's size as a Dataset (the training split is exactly that batch), with the model's pre-processing. */
function oneBatch(name: ModelName) {
  const seed = seedModel(name);
  const batch = seed.fit.batchSize;
  const raw = syntheticData(batch, 16);
  const data = createDataset({ train: raw.train, test: raw.test, shape: raw.shape }, { preprocessing: seed.data.preprocessing });
  const y = new Float32Array(batch * 10);
  raw.train.labels.forEach((l, i) => (y[i * 10 + l] = 1));
  return { data, batch, x: applyAffine(raw.train.images, data.affine), y, testImages: raw.test.images };
}

/** ||a - b|| / ||b||. */
function relativeError(a: Float32Array, b: Float32Array): number {
  let d = 0;
  let n = 0;
  for (let i = 0; i < b.length; i++) {
    d += (a[i]! - b[i]!) ** 2;
    n += b[i]! ** 2;
  }
  return Math.sqrt(d / n);
}

describe.skipIf(!installed)('jax-js comparison models', () => {
  it.each(['one-hidden', 'mlp', 'cnn'] as const)('%s has the seed model\'s parameter count', async (name) => {
    await backends!.useDevice('wasm');
    const params = models!.initialParams(name, 1);
    const count = params.reduce((s, l) => s + l.kernel.size + l.bias.size, 0);
    jax!.tree.dispose(params);
    expect(count).toBe(seedModel(name).build().params.paramCount);
  });

  describe.each(['webgpu', 'wasm'] as const)('on jax-js\'s %s device', (device) => {
    it.each(['one-hidden', 'mlp'] as const)('%s: one jitted step gives wgml\'s first-step loss and updated weights', async (name) => {
      const { numpy: np, tree } = jax!;
      const { data, batch, x, y } = oneBatch(name);
      const { model, initial } = await wgmlModel(name);
      try {
        const history = await model.fit(data, { ...seedModel(name).fit, epochs: 1, seed: 1 });
        const wgmlLoss = history.history.loss[0]!;
        const updated = await model.getWeights();

        await backends!.useDevice(device);
        const layout = model.params.entries;
        const step = models!.trainStep(name);
        const state = models!.initialState(name, models!.paramsFromWgml(name, initial, layout), 1);
        const [next, loss] = step(state, np.array(x, { shape: models!.batchShape(name, batch) }), np.array(y, { shape: [batch, 10] }));
        try {
          const jaxLoss = (await loss.ref.jsAsync()) as number;
          expect(Math.abs(jaxLoss - wgmlLoss) / wgmlLoss, `loss: jax-js ${jaxLoss}, wgml ${wgmlLoss}`).toBeLessThan(1e-5);
          // Each tensor's change in the step (gradient and optimiser together), relative to its size. Seen:
          // up to 3e-6 for SGD, 3e-5 for Adam, whose alpha_t jax-js forms in float32 and wgml in float64.
          // The loss: within 3e-7.
          const tensors = next.params.flatMap((l) => [l.kernel, l.bias]);
          for (const [i, e] of layout.entries()) {
            const after = (await tensors[i]!.ref.data()) as Float32Array;
            const before = initial.subarray(e.offset, e.offset + e.count);
            const change = (w: Float32Array) => w.map((v, k) => v - before[k]!);
            expect(relativeError(change(after), change(updated.subarray(e.offset, e.offset + e.count))), `${e.layerName} ${e.spec.name}`).toBeLessThan(1e-4);
          }
        } finally {
          tree.dispose([next, loss]);
          step.dispose();
        }
      } finally {
        model.release();
      }
    }, 300_000);
  });

  it('cnn: the forward pass gives wgml\'s predictions (conv layouts and flatten order)', async () => {
    const { nn, numpy: np } = jax!;
    const { data, testImages } = oneBatch('cnn');
    const { model } = await wgmlModel('cnn');
    try {
      await model.fit(data, { ...seedModel('cnn').fit, epochs: 1, seed: 1 }); // so the model has its pre-processing (and trained weights)
      const count = testImages.length / 784;
      const expected = await model.predict(testImages);
      await backends!.useDevice('webgpu');
      const params = models!.paramsFromWgml('cnn', await model.getWeights(), model.params.entries);
      const x = np.array(applyAffine(testImages, data.affine), { shape: models!.batchShape('cnn', count) });
      const got = (await nn.softmax(models!.forward('cnn', params, x), -1).data()) as Float32Array;
      expect(got.length).toBe(expected.length);
      got.forEach((v, i) => expect(Math.abs(v - expected[i]!), `probability ${i}`).toBeLessThan(1e-5));
    } finally {
      model.release();
    }
  }, 300_000);
});
