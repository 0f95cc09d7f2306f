import type { Command } from 'commander';
import { seedModel, type ModelName } from '../models/seed-models';
import type { OptimizerKind } from '../optim/optimizer';
import { positiveInt } from './args';
import { loadData, log, withGpu } from './context';
import { batchOption, dataOption, epochsOption, limitOption, lrOption, modelOption, optimizerOption, seedOption, validationOption } from './options';
import { trainAndReport } from './run';

interface TrainFlags {
  model: ModelName;
  epochs?: number;
  batchSize?: number;
  lr?: number;
  optimizer?: OptimizerKind;
  seed: number;
  data?: string;
  out?: string;
  patience?: number;
  validationSplit: number;
  limit?: number;
}

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description("train a model; every setting defaults to the report's, so `train --model cnn` reproduces the CNN")
    .addOption(modelOption())
    .addOption(epochsOption())
    .addOption(batchOption())
    .addOption(lrOption())
    .addOption(optimizerOption())
    .addOption(seedOption())
    .addOption(dataOption())
    .option('-o, --out <dir>', 'results folder (default: runs/<model>-<date>)')
    .option('--patience <n>', "early stopping: stop after N epochs without a better validation loss (default: the report's)", positiveInt('--patience'))
    .addOption(validationOption())
    .addOption(limitOption())
    .action(async (flags: TrainFlags) => {
      const seed = seedModel(flags.model);
      const d = seed.defaults;
      const data = await loadData(flags.data, log);
      const out = flags.out ?? `runs/${seed.name}-${new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)}`;
      await withGpu(log, (gpu) =>
        trainAndReport(gpu, data, seed, {
          epochs: flags.epochs ?? d.epochs,
          batchSize: flags.batchSize ?? d.batchSize,
          lr: flags.lr ?? d.lr,
          optimizer: flags.optimizer ?? d.optimizer,
          seed: flags.seed,
          patience: flags.patience ?? d.patience,
          validationSplit: flags.validationSplit,
          ...(flags.limit !== undefined ? { trainLimit: flags.limit } : {}),
        }, out, log),
      );
    });
}
