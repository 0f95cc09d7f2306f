import type { Command } from 'commander';
import { FASHION_MNIST_CLASSES, type FashionMnist } from '../data/fashion-mnist';
import { GpuError } from '../errors';
import { MODEL_NAMES, seedModel, type ModelName } from '../models/seed-models';
import { modelOption } from './options';
import { Trainer } from '../train/trainer';
import { log, withGpu } from './context';

/**
 * Acquires the GPU, compiles each model's training step, runs it on a small synthetic batch set and
 * releases everything: a quick proof that this machine's WebGPU works, needing no dataset.
 */
export function registerSelfcheck(program: Command): void {
  program
    .command('selfcheck')
    .description('check the WebGPU adapter: run one short training epoch of each model on synthetic data')
    .addOption(modelOption(false).default(undefined, 'all three'))
    .action(async (flags: { model?: ModelName }) => {
      await withGpu(log, async (gpu) => {
        const data = syntheticData(512, 128);
        for (const name of flags.model ? [flags.model] : MODEL_NAMES) {
          const seed = seedModel(name);
          const d = seed.defaults;
          const trainer = await Trainer.create(gpu, seed.build(), data, { batchSize: Math.min(d.batchSize, 128), lr: d.lr, optimizer: d.optimizer, seed: 1, preprocessing: seed.preprocessing });
          try {
            const started = performance.now();
            const train = await trainer.trainEpoch(1);
            const ms = performance.now() - started;
            const test = await trainer.evaluate('test');
            if (!Number.isFinite(train.meanLoss) || !Number.isFinite(test.meanLoss) || test.rows !== data.test.count) {
              throw new GpuError(`${name}: the self-check produced loss ${train.meanLoss} / ${test.meanLoss} over ${test.rows} rows.`);
            }
            log(`${name.padEnd(10)} ok  ${trainer.trainProgram.calls.length} dispatches/step  epoch of ${data.train.count} in ${ms.toFixed(0)} ms  loss ${train.meanLoss.toFixed(4)}`);
          } finally {
            trainer.release();
          }
        }
      });
    });
}

/** Random images whose brightness encodes the label: learnable, and independent of any files. */
function syntheticData(trainCount: number, testCount: number): FashionMnist {
  let s = 12345;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const split = (count: number) => {
    const labels = Uint8Array.from({ length: count }, () => Math.floor(next() * 10));
    const images = new Uint8Array(count * 784);
    for (let i = 0; i < images.length; i++) images[i] = Math.min(255, Math.floor(next() * 64 + labels[Math.floor(i / 784)]! * 19));
    return { images, labels, count };
  };
  return { train: split(trainCount), test: split(testCount), rows: 28, cols: 28, classes: FASHION_MNIST_CLASSES, source: 'synthetic' };
}
