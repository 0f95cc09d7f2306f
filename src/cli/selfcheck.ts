import type { Command } from 'commander';
import { createDataset, FASHION_MNIST_CLASSES, GpuError, MODEL_NAMES, type DatasetArrays } from '../index';
import { log, resolveModel, withGpu } from './context';
import { modelOption } from './options';

/**
 * Acquires the GPU, compiles each model's training step, runs it on a small synthetic batch set and
 * releases everything: a quick proof that this machine's WebGPU works, needing no dataset.
 */
export function registerSelfcheck(program: Command): void {
  program
    .command('selfcheck')
    .description('check the WebGPU adapter: run one short training epoch of each model on synthetic data')
    .addOption(modelOption(false).default(undefined, 'all three'))
    .action(async (flags: { model?: string }) => {
      const choices = await Promise.all((flags.model ? [flags.model] : MODEL_NAMES).map(resolveModel));
      await withGpu(log, async (gpu) => {
        for (const choice of choices) {
          const model = choice.build();
          const data = createDataset(syntheticData(512, 128, model.inputShape, model.classes), { preprocessing: choice.preprocessing });
          await model.compile(gpu, { seed: 1 });
          try {
            const d = choice.fit;
            const started = performance.now();
            const { epochs } = await model.fit(data, { epochs: 1, batchSize: Math.min(d.batchSize, 128), lr: d.lr, optimizer: d.optimizer, seed: 1 });
            const ms = performance.now() - started;
            const train = epochs[0]!;
            const test = await model.evaluate(data);
            if (!Number.isFinite(train.loss) || !Number.isFinite(test.meanLoss) || test.rows !== data.test!.count) {
              throw new GpuError(`${choice.name}: the self-check produced loss ${train.loss} / ${test.meanLoss} over ${test.rows} rows.`);
            }
            const dispatches = model.trainingStep!.trainProgram.calls.length;
            log(`${choice.name.padEnd(10)} ok  ${dispatches} dispatches/step  epoch of ${data.train.count} in ${ms.toFixed(0)} ms (with validation)  loss ${train.loss.toFixed(4)}`);
          } finally {
            model.release();
          }
        }
      });
    });
}

/** Random images whose brightness encodes the label: learnable, and independent of any files. */
function syntheticData(trainCount: number, testCount: number, shape: readonly number[], classes: number): DatasetArrays {
  let s = 12345;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const size = shape.reduce((a, b) => a * b, 1);
  const split = (count: number) => {
    const labels = Uint8Array.from({ length: count }, () => Math.floor(next() * classes));
    const images = new Uint8Array(count * size);
    for (let i = 0; i < images.length; i++) images[i] = Math.min(255, Math.floor(next() * 64 + (labels[Math.floor(i / size)]! * 190) / classes));
    return { images, labels };
  };
  return { train: split(trainCount), test: split(testCount), shape, classes: classes === 10 ? FASHION_MNIST_CLASSES : classes, source: 'synthetic' };
}
