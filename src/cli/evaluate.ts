import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { DataError } from '../errors';
import { confusionTable, perClassAccuracy } from '../report/confusion';
import { Trainer } from '../train/trainer';
import { decodeWeights } from '../train/weights';
import { loadData, log, withGpu } from './context';
import { dataOption } from './options';

export function registerEvaluate(program: Command): void {
  program
    .command('evaluate')
    .description('evaluate trained weights on the test set: accuracy, loss, confusion matrix')
    .requiredOption('-w, --weights <path>', 'a weights.safetensors file, or the results folder of `train`')
    .addOption(dataOption())
    .action(async (flags: { weights: string; data?: string }) => {
      const file = await weightsFile(flags.weights);
      const weights = decodeWeights(await readBytes(file), file);
      const data = await loadData(flags.data, log);
      await withGpu(log, async (gpu) => {
        const d = weights.seed.defaults;
        const trainer = await Trainer.create(gpu, weights.model, data, {
          batchSize: d.batchSize, lr: d.lr, optimizer: d.optimizer, seed: 0, preprocessing: weights.seed.preprocessing, affine: weights.affine,
        });
        try {
          trainer.writeParams(weights.params);
          const test = await trainer.evaluate('test');
          log(`${weights.model.name} from ${file}`);
          log(`test: accuracy ${(100 * test.accuracy).toFixed(2)}% (${test.correct}/${test.rows}), loss ${test.meanLoss.toFixed(4)}`);
          log(confusionTable(test.confusion, data.classes));
          const per = perClassAccuracy(test.confusion);
          log(`per class: ${data.classes.map((c, i) => `${c} ${(100 * per[i]!).toFixed(1)}%`).join(', ')}`);
        } finally {
          trainer.release();
        }
      });
    });
}

async function weightsFile(path: string): Promise<string> {
  const info = await stat(path).catch(() => {
    throw new DataError(`No weights at '${path}'.`, 'Pass a weights.safetensors file or the results folder that `wgml train` wrote.');
  });
  return info.isDirectory() ? join(path, 'weights.safetensors') : path;
}

async function readBytes(file: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(file));
  } catch (e) {
    throw new DataError(`Cannot read '${file}': ${(e as Error).message}`, 'Pass a weights.safetensors file or the results folder that `wgml train` wrote.');
  }
}
