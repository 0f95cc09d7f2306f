import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { createDataset, DivergedError, markdownTable, type OptimizerKind } from '../index';
import { writeFileAtomic } from '../node';
import { listOf, positiveInt, positiveNumber } from './args';
import { loadData, log, resolveModel, withGpu } from './context';
import { dataOption, modelOption, optimizerOption, seedOption, validationOption } from './options';

interface SweepFlags {
  model: string;
  lr: number[];
  batchSize: number[];
  epochs: number;
  optimizer?: OptimizerKind;
  seed?: number;
  data?: string;
  out?: string;
  validationSplit: number;
}

interface SweepRow {
  lr: number;
  batchSize: number;
  epochs: number;
  valLoss: number;
  valAccuracy: number;
  bestEpoch: number;
  seconds: number;
}

/**
 * The report chose its hyper-parameters by trying combinations on the validation set: this trains
 * each combination (data loaded once; pipelines compiled once per shape, shared through the cache).
 */
export function registerSweep(program: Command): void {
  program
    .command('sweep')
    .description('train every combination of learning rates and batch sizes; rank them by validation accuracy')
    .addOption(modelOption())
    .requiredOption('--lr <list>', 'comma-separated learning rates, e.g. 0.1,0.03,0.01', listOf(positiveNumber('--lr')))
    .requiredOption('-b, --batch-size <list>', 'comma-separated batch sizes, e.g. 32,64', listOf(positiveInt('--batch-size')))
    .requiredOption('-e, --epochs <n>', 'epochs per combination', positiveInt('--epochs'))
    .addOption(optimizerOption())
    .addOption(seedOption())
    .addOption(dataOption())
    .addOption(validationOption())
    .option('-o, --out <dir>', 'where to write sweep.csv and sweep.json (default: runs/sweep-<model>-<date>)')
    .action(async (flags: SweepFlags) => {
      const seed = await resolveModel(flags.model);
      const data = createDataset(await loadData(flags.data, log), { preprocessing: seed.preprocessing, validationSplit: flags.validationSplit });
      const out = flags.out ?? `runs/sweep-${seed.name}-${new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)}`;
      for (const batchSize of flags.batchSize) seed.build().checkFits(data, batchSize);
      const rows: SweepRow[] = [];
      await withGpu(log, async (gpu) => {
        for (const batchSize of flags.batchSize) {
          for (const lr of flags.lr) {
            const model = await seed.build().compile(gpu, { seed: flags.seed ?? seed.fit.seed });
            try {
              const started = performance.now();
              const { epochs: history } = await model.fit(data, {
                epochs: flags.epochs, batchSize, lr, optimizer: flags.optimizer ?? seed.fit.optimizer, seed: flags.seed ?? seed.fit.seed, patience: null,
              });
              const best = history.reduce((a, b) => (b.valAccuracy > a.valAccuracy ? b : a));
              const last = history.at(-1)!;
              rows.push({ lr, batchSize, epochs: flags.epochs, valLoss: last.valLoss, valAccuracy: last.valAccuracy, bestEpoch: best.epoch, seconds: (performance.now() - started) / 1000 });
              log(`lr ${lr}, batch ${batchSize}: val_acc ${last.valAccuracy.toFixed(4)}, val_loss ${last.valLoss.toFixed(4)} (best epoch ${best.epoch})`);
            } catch (e) {
              // A learning rate too high for the model is an answer of the sweep, not the end of it.
              if (!(e instanceof DivergedError)) throw e;
              rows.push({ lr, batchSize, epochs: flags.epochs, valLoss: NaN, valAccuracy: NaN, bestEpoch: 0, seconds: NaN });
              log(`lr ${lr}, batch ${batchSize}: diverged (${e.message.split('\n')[0]})`);
            } finally {
              model.release();
            }
          }
        }
      });
      const rank = (r: SweepRow) => (Number.isNaN(r.valAccuracy) ? -1 : r.valAccuracy); // diverged ones last
      rows.sort((a, b) => rank(b) - rank(a));
      log(markdownTable(['lr', 'batch', 'epochs', 'val accuracy', 'val loss', 'best epoch', 'seconds'],
        rows.map((r) => Number.isNaN(r.valAccuracy) ? [r.lr, r.batchSize, r.epochs, 'diverged', '', '', ''] : [r.lr, r.batchSize, r.epochs, r.valAccuracy.toFixed(4), r.valLoss.toFixed(4), r.bestEpoch, r.seconds.toFixed(1)])));
      await mkdir(out, { recursive: true });
      const header = 'lr,batch_size,epochs,val_accuracy,val_loss,best_epoch,seconds';
      await writeFileAtomic(join(out, 'sweep.csv'), new TextEncoder().encode([header, ...rows.map((r) => [r.lr, r.batchSize, r.epochs, r.valAccuracy, r.valLoss, r.bestEpoch, r.seconds].join(','))].join('\n') + '\n'));
      await writeFileAtomic(join(out, 'sweep.json'), new TextEncoder().encode(JSON.stringify({ model: seed.name, rows }, null, 2)));
      log(`results: ${out}`);
    });
}
