import { existsSync } from 'node:fs';
import { mkdir, readFile, rmdir, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { createDataset, DataError, loadCheckpoint, UsageError, type OptimizerKind, type Precision } from '../index';
import { positiveInt } from './args';
import { loadData, log, resolveModel, withGpu } from './context';
import { batchOption, dataOption, epochsOption, limitOption, lrOption, modelOption, optimizerOption, precisionOption, seedOption, validationOption } from './options';
import { CHECKPOINT_FILE, trainAndReport } from './run';
import { noTuneOption, setUpTuning, tuneOption, tuningSummary, type TuneFlags } from './tune';

interface TrainFlags extends TuneFlags {
  model?: string;
  resume?: string;
  epochs?: number;
  batchSize?: number;
  lr?: number;
  optimizer?: OptimizerKind;
  precision?: Precision;
  seed?: number;
  data?: string;
  out?: string;
  patience?: number;
  validationSplit: number;
  limit?: number;
  testLimit?: number;
  quiet?: boolean;
}

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description("train a model (a seed model or a JSON model file); every setting defaults to the model's, so `train --model cnn` reproduces the report's CNN")
    .addOption(modelOption(false))
    .addOption(epochsOption())
    .addOption(batchOption())
    .addOption(lrOption())
    .addOption(optimizerOption())
    .addOption(precisionOption())
    .addOption(seedOption())
    .addOption(dataOption())
    .option('-o, --out <dir>', 'results folder (default: runs/<model>-<date>)')
    .option('--patience <n>', "early stopping: stop after N epochs without a better validation loss (default: the report's)", positiveInt('--patience'))
    .addOption(validationOption())
    .addOption(limitOption())
    .option('--test-limit <n>', 'evaluate on only the first N test images (a quick run)', positiveInt('--test-limit'))
    .option('-q, --quiet', 'no progress bar or progress lines (the per-epoch lines still print)')
    .addOption(tuneOption())
    .addOption(noTuneOption())
    .option('--resume <dir>', 'continue the run whose results folder (with checkpoint.safetensors) is DIR; --epochs may extend it')
    .action(async (flags: TrainFlags, command: Command) => {
      if (flags.resume) {
        // A resumed run keeps its own settings: a flag that would change them is a mistake, not a wish.
        const ignored = command.options.map((o) => o.attributeName()).filter((name) => !RESUME_FLAGS.has(name) && command.getOptionValueSource(name) === 'cli');
        if (ignored.length > 0) {
          const names = ignored.map((name) => command.options.find((o) => o.attributeName() === name)!.long).join(', ');
          throw new UsageError(`${names} cannot change a resumed run: it continues with the settings saved in its checkpoint.`, 'Resume with only --epochs (to extend it) and --data, or start a new run with the new settings.');
        }
        return resume(flags.resume, flags);
      }
      if (!flags.model) throw new UsageError("required option '-m, --model <name>' not specified", 'Or continue a run with --resume <results folder>.');
      const choice = await resolveModel(flags.model);
      const d = choice.fit;
      const data = await loadData(flags.data, log);
      const out = flags.out ?? `runs/${choice.name}-${new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)}`;
      const settings = {
        fit: {
          epochs: flags.epochs ?? d.epochs,
          batchSize: flags.batchSize ?? d.batchSize,
          lr: flags.lr ?? d.lr,
          optimizer: flags.optimizer ?? d.optimizer,
          seed: flags.seed ?? d.seed,
          patience: flags.patience ?? d.patience,
          ...(flags.precision ? { precision: flags.precision } : {}),
        },
        data: {
          preprocessing: choice.preprocessing,
          validationSplit: flags.validationSplit,
          ...(flags.limit !== undefined ? { trainLimit: flags.limit } : {}),
          ...(flags.testLimit !== undefined ? { testLimit: flags.testLimit } : {}),
        },
      };
      // Everything that can be wrong with the data, the model and the settings, before the GPU.
      const dataset = createDataset(data, settings.data);
      choice.build().checkFits(dataset, settings.fit.batchSize);
      const removeIfEmpty = await createResultsFolder(out);
      const tuning = setUpTuning(flags);
      await withGpu(log, async (gpu) => {
        await trainAndReport(gpu, data, choice, settings, { out, log, quiet: !!flags.quiet });
        if (tuning.mode !== 'off') log(tuningSummary(gpu, tuning));
      }).catch(async (e: unknown) => {
        await removeIfEmpty();
        throw e;
      });
    });
}

/** The flags a resumed run takes; every other one would change what the checkpoint fixes. */
const RESUME_FLAGS = new Set(['resume', 'epochs', 'data', 'model', 'quiet', 'tune']);

/**
 * Before any GPU work: a results folder that cannot be written is a usage error, not a crash an
 * epoch later. Returns a function that removes the folders this run made if it leaves them empty.
 *
 * No `mkdir -p`: on a pseudo-filesystem (`--out /proc/x`) Node's recursive mkdir never returns.
 * Instead the nearest existing ancestor must take a probe file (created, then removed), and the
 * missing levels are made one at a time.
 */
async function createResultsFolder(out: string): Promise<() => Promise<void>> {
  if (existsSync(join(out, CHECKPOINT_FILE))) {
    throw new UsageError(`'${out}' already holds a run (${CHECKPOINT_FILE}); a new run would overwrite it.`, `Continue it with --resume ${out}, or pass another --out.`);
  }
  const missing: string[] = [];
  let at = resolve(out);
  try {
    for (;;) {
      const info = await stat(at).catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? null : Promise.reject(e)));
      if (info) {
        if (!info.isDirectory()) throw new Error(`'${at}' is not a folder`);
        break;
      }
      missing.unshift(at);
      if (dirname(at) === at) break;
      at = dirname(at);
    }
    const probe = join(at, `.wgml-probe-${process.pid}`);
    await writeFile(probe, '', { flag: 'wx' });
    await unlink(probe);
    for (const dir of missing) await mkdir(dir);
  } catch (e) {
    throw new UsageError(`Cannot use '${out}' as the results folder: ${(e as Error).message}.`, 'Pass a writable folder with --out.');
  }
  // rmdir refuses a folder that is not empty, so a checkpoint already written is never removed.
  return async () => {
    for (const dir of [...missing].reverse()) await rmdir(dir).catch(() => undefined);
  };
}

/** Continues an interrupted run from its last checkpoint, with its own settings. */
async function resume(dir: string, flags: TrainFlags): Promise<void> {
  const file = join(dir, CHECKPOINT_FILE);
  const bytes = await readFile(file).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT' || e.code === 'ENOTDIR') {
      throw new DataError(`No checkpoint at '${file}'.`, 'Pass the results folder of a `wgml train` run that finished at least one epoch (the folder, not the file).');
    }
    throw new DataError(`Cannot read the checkpoint '${file}': ${e.message}.`, 'Check that the file is readable, or resume another run.');
  });
  const checkpoint = loadCheckpoint(new Uint8Array(bytes), file);
  if (flags.model && flags.model !== checkpoint.model.name) {
    throw new UsageError(`--model ${flags.model} does not match the checkpoint, which is for ${checkpoint.model.name}.`, 'Leave out --model when resuming.');
  }
  const epochs = flags.epochs ?? checkpoint.fit.epochs;
  if (epochs <= checkpoint.epoch) throw new UsageError(`The run in ${dir} already finished ${checkpoint.epoch} of ${checkpoint.fit.epochs} epochs.`, 'Pass a larger --epochs to train further.');
  const data = await loadData(flags.data, log);
  checkpoint.model.checkFits(createDataset(data, checkpoint.data), checkpoint.fit.batchSize);
  const model = checkpoint.model;
  const choice = { name: model.name, definition: model.toJSON(), fit: checkpoint.fit, preprocessing: checkpoint.data.preprocessing, build: () => model };
  const tuning = setUpTuning(flags);
  await withGpu(log, async (gpu) => {
    await trainAndReport(gpu, data, choice, { fit: { ...checkpoint.fit, epochs }, data: checkpoint.data }, { out: dir, log, quiet: !!flags.quiet, resume: checkpoint });
    if (tuning.mode !== 'off') log(tuningSummary(gpu, tuning));
  });
}
