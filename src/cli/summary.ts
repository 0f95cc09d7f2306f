import type { Command } from 'commander';
import { log, resolveModel } from './context';
import { modelOption } from './options';

export function registerSummary(program: Command): void {
  program
    .command('summary')
    .description("print a model's layers, output shapes and parameter counts (no GPU needed)")
    .addOption(modelOption())
    .action(async (flags: { model: string }) => {
      const choice = await resolveModel(flags.model);
      log(choice.build().summary());
      const d = choice.fit;
      log(`training defaults: ${d.optimizer} lr ${d.lr}, batch ${d.batchSize}, ${d.epochs} epochs${d.patience ? `, early stopping (patience ${d.patience})` : ''}; pre-processing: ${choice.preprocessing}`);
    });
}
