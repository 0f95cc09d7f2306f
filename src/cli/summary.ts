import type { Command } from 'commander';
import { seedModel, type ModelName } from '../models/seed-models';
import { log } from './context';
import { modelOption } from './options';

export function registerSummary(program: Command): void {
  program
    .command('summary')
    .description("print a model's layers, output shapes and parameter counts (no GPU needed)")
    .addOption(modelOption())
    .action((flags: { model: ModelName }) => {
      const seed = seedModel(flags.model);
      log(seed.build().summary());
      const d = seed.defaults;
      log(`report settings: ${d.optimizer} lr ${d.lr}, batch ${d.batchSize}, ${d.epochs} epochs${d.patience ? `, early stopping (patience ${d.patience})` : ''}; pre-processing: ${seed.preprocessing}`);
    });
}
