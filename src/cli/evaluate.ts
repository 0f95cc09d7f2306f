import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { confusionTable, createDataset, DataError, loadModel, perClassAccuracy } from '../index';
import { loadData, log, withGpu } from './context';
import { dataOption } from './options';

const WEIGHTS_HINT = 'Pass a weights.safetensors file or the results folder that `wgml train` wrote.';

export function registerEvaluate(program: Command): void {
  program
    .command('evaluate')
    .description('evaluate trained weights on the test set: accuracy, loss, confusion matrix (the model comes from the file)')
    .requiredOption('-w, --weights <path>', 'a weights.safetensors file, or the results folder of `train`')
    .addOption(dataOption())
    .action(async (flags: { weights: string; data?: string }) => {
      const file = await weightsFile(flags.weights);
      const model = loadModel(await readBytes(file), file);
      const data = createDataset(await loadData(flags.data, log));
      model.checkFits(data);
      await withGpu(log, async (gpu) => {
        await model.compile(gpu);
        try {
          const test = await model.evaluate(data);
          log(`${model.name} from ${file}`);
          log(`test: accuracy ${(100 * test.accuracy).toFixed(2)}% (${test.correct}/${test.rows}), loss ${test.meanLoss.toFixed(4)}`);
          log(confusionTable(test.confusion, data.classes));
          const per = perClassAccuracy(test.confusion);
          log(`per class: ${data.classes.map((c, i) => `${c} ${(100 * per[i]!).toFixed(1)}%`).join(', ')}`);
        } finally {
          model.release();
        }
      });
    });
}

async function weightsFile(path: string): Promise<string> {
  const info = await stat(path).catch(() => {
    throw new DataError(`No weights at '${path}'.`, WEIGHTS_HINT);
  });
  return info.isDirectory() ? join(path, 'weights.safetensors') : path;
}

async function readBytes(file: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(file));
  } catch (e) {
    throw new DataError(`Cannot read '${file}': ${(e as Error).message}`, WEIGHTS_HINT);
  }
}
