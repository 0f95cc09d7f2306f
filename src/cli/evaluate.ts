import type { Command } from 'commander';
import { confusionTable, createDataset, perClassAccuracy } from '../index';
import { loadData, loadWeights, log, withGpu } from './context';
import { dataOption } from './options';

export function registerEvaluate(program: Command): void {
  program
    .command('evaluate')
    .description('evaluate trained weights on the test set: accuracy, loss, confusion matrix (the model comes from the file)')
    .requiredOption('-w, --weights <path>', 'a weights.safetensors file, or the results folder of `train`')
    .addOption(dataOption())
    .action(async (flags: { weights: string; data?: string }) => {
      const { model, file } = await loadWeights(flags.weights);
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
