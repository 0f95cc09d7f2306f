/**
 * End to end on real Fashion-MNIST: a short run learns, and the same seed gives the same run bit for
 * bit (initialisation, shuffling and dropout are all seeded).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createDataset } from '../../src/data/dataset';
import type { FashionMnist } from '../../src/data/fashion-mnist';
import { loadFashionMnistFromDisk } from '../../src/data/locate-node';
import { seedModel } from '../../src/models/seed-models';
import { useGpu } from '../support/gpu';
import { createTrainer } from '../support/training';

const gpu = useGpu();
let data: FashionMnist;
beforeAll(async () => {
  data = await loadFashionMnistFromDisk();
});

async function run(name: string, options: { limit: number; testLimit: number; epochs: number; seed: number }) {
  const seed = seedModel(name);
  const dataset = createDataset(data, { ...seed.data, trainLimit: options.limit, testLimit: options.testLimit });
  const model = await seed.build().compile(gpu(), { seed: options.seed });
  try {
    const result = await model.fit(dataset, { ...seed.fit, epochs: options.epochs, seed: options.seed, patience: null });
    return { history: result.epochs, validation: result.validation, params: await model.getWeights() };
  } finally {
    model.release();
  }
}

describe('training on real Fashion-MNIST', () => {
  it('one-hidden learns 5,000 images to above 70% test accuracy in two epochs', async () => {
    const { history, validation } = await run('one-hidden', { limit: 5000, testLimit: 10000, epochs: 2, seed: 3 });
    expect(history).toHaveLength(2);
    expect(history[1]!.loss).toBeLessThan(history[0]!.loss);
    expect(validation?.rows).toBe(10000);
    expect(validation?.accuracy).toBeGreaterThan(0.7);
  });

  it.each([
    ['mlp', 2048],
    ['cnn', 320],
  ])('%s: the same seed gives the same losses and weights, bit for bit', async (name, limit) => {
    const a = await run(name, { limit, testLimit: 500, epochs: 2, seed: 11 });
    const b = await run(name, { limit, testLimit: 500, epochs: 2, seed: 11 });
    const c = await run(name, { limit, testLimit: 500, epochs: 1, seed: 12 });
    expect(b.history.map((h) => [h.loss, h.accuracy, h.valLoss])).toEqual(a.history.map((h) => [h.loss, h.accuracy, h.valLoss]));
    expect(Buffer.from(b.params.buffer).equals(Buffer.from(a.params.buffer))).toBe(true);
    expect(c.history[0]!.loss).not.toBe(a.history[0]!.loss);
  });
});

describe('stopping inside an epoch', () => {
  it('an epoch ended by requestStop() continues where it stopped: the same weights and metrics as one never stopped (cnn: dropout)', async () => {
    const seed = seedModel('cnn');
    const options = { ...seed.fit, seed: 4, ...seed.data, trainLimit: 64 * 20, testLimit: 100 };
    const wholeRun = await createTrainer(gpu(), seed.build(), data, options);
    const splitRun = await createTrainer(gpu(), seed.build(), data, options);
    const [whole, split] = [wholeRun.trainer, splitRun.trainer];
    try {
      const want = await whole.trainEpoch(1);
      let asked = false;
      const first = await split.trainEpoch(1, (p) => {
        if (!asked && p.step >= 8) {
          asked = true;
          split.requestStop();
        }
      });
      expect(first.interruptedAfter).toBe(8); // asked during step 8's progress report: stops right there
      const rest = await split.trainEpoch(1);
      expect(rest.interruptedAfter).toBeUndefined();
      expect({ ...rest, seconds: 0 }).toEqual({ ...want, seconds: 0 });
      expect(rest.seconds, 'the epoch\'s time includes its first part').toBeGreaterThan(first.seconds);
      const [a, b] = [await wholeRun.runtime.readParams(), await splitRun.runtime.readParams()];
      expect(Buffer.from(b.buffer).equals(Buffer.from(a.buffer))).toBe(true);
    } finally {
      wholeRun.release();
      splitRun.release();
    }
  });
});
