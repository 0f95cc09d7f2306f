import { join } from 'node:path';
import {
  confusionTable, createDataset, describeGpu, InterruptedError, misclassified,
  type DataSettings, type DatasetArrays, type Evaluation, type FitSettings, type Gpu, type History, type LoadedCheckpoint,
} from '../index';
import { writeFileAtomic, writeRunArtifacts } from '../node';
import type { ModelChoice } from './context';
import { EpochProgress } from './progress';

/** A run's settings: how to train, and which data, pre-processed how. */
export interface RunSettings {
  fit: FitSettings;
  data: DataSettings;
}

export interface RunResult extends History {
  test: Evaluation;
  out: string;
  adapter: string;
}

export const CHECKPOINT_FILE = 'checkpoint.safetensors';

/**
 * Trains `choice` with `settings` (or continues `resume`'s run), prints progress, and writes the
 * results folder `out`: a checkpoint after every epoch, then weights, curves, confusion matrix,
 * gallery and summary.
 */
/** Where a run writes and reports, and what it continues. */
export interface RunOutput {
  /** The results folder. */
  out: string;
  log: (line: string) => void;
  /** No progress bar or progress lines, only the per-epoch lines. */
  quiet?: boolean;
  resume?: LoadedCheckpoint;
}

export async function trainAndReport(gpu: Gpu, arrays: DatasetArrays, choice: ModelChoice, settings: RunSettings, { out, log, quiet, resume }: RunOutput): Promise<RunResult> {
  const { fit, data: dataSettings } = settings;
  const data = createDataset(arrays, dataSettings);
  const model = resume?.model ?? choice.build();
  await model.compile(gpu, { seed: fit.seed });
  try {
    log(`${model.name}: ${model.paramCount.toLocaleString('en-US')} parameters; ${fit.optimizer} lr ${fit.lr}, batch ${fit.batchSize}, ${fit.epochs} epochs, seed ${fit.seed}${fit.precision === 'mixed_float16' ? ', mixed_float16' : ''}`);
    if (resume) {
      const inside = resume.state.epochProgress;
      log(`resuming after epoch ${resume.epoch}${inside ? ` and step ${inside.step} of epoch ${resume.epoch + 1}` : ''} (step ${resume.state.globalStep})`);
    }
    const progress = new EpochProgress(fit.epochs, { quiet: !!quiet });
    const checkpointFile = join(out, CHECKPOINT_FILE);
    const stop = new AbortController();
    const interrupt = onInterrupt(() => {
      progress.stop();
      log('interrupted: stopping within a few steps to save a checkpoint (press Ctrl-C again to quit without it)');
      stop.abort();
    });
    let described = false;
    const result = await model.fit(data, {
      ...fit,
      signal: stop.signal,
      ...(resume ? { history: resume.history, resume: resume.state } : {}),
      callbacks: {
        onEpochBegin: (epoch, { images }) => {
          const step = model.trainingStep;
          if (!described && step) {
            const memory = step.memoryReport();
            log(`step: ${step.trainProgram.calls.length} dispatches in one submit; activation memory ${mb(memory.planned)} planned vs ${mb(memory.naive)} without sharing`);
            described = true;
          }
          progress.start(epoch, images);
        },
        onBatchEnd: (p) => progress.update(p),
        onEpochEnd: async (r) => {
          progress.stop();
          log(
            `epoch ${String(r.epoch).padStart(String(fit.epochs).length)}/${fit.epochs}  loss ${r.loss.toFixed(4)}  acc ${r.accuracy.toFixed(4)}  ` +
              `val_loss ${r.valLoss.toFixed(4)}  val_acc ${r.valAccuracy.toFixed(4)}  ${r.seconds.toFixed(1)}s  ${Math.round(r.imagesPerSecond).toLocaleString('en-US')} img/s`,
          );
          await writeFileAtomic(checkpointFile, await model.checkpoint(), { beforeRename: crashHook(r.epoch) });
        },
      },
    }).finally(() => interrupt.dispose());
    if (result.stopped === 'interrupted' || result.stopped === 'stop') {
      progress.stop();
      const done = result.epochs.length;
      if (result.stopped === 'stop' && done === 0) throw new InterruptedError('Interrupted before the first epoch; nothing was saved.', 'Start the run again.');
      let where = `after epoch ${done}`;
      if (result.stopped === 'interrupted') {
        // Inside an epoch: save where it stopped, so a resume continues from this very step.
        const at = result.interruptedAt!;
        where = `at step ${at.step} of ${at.steps} in epoch ${done + 1}`;
        await writeFileAtomic(checkpointFile, await model.checkpoint());
      }
      throw new InterruptedError(`Interrupted ${where} of ${fit.epochs}; the checkpoint ${checkpointFile} holds the run up to there.`, `Continue it with \`wgml train --resume ${out}\` (npm run cli -- train --resume ${out}).`);
    }
    if (result.stopped === 'early-stopping') log(`early stopping: validation loss has not improved for ${fit.patience} epochs`);

    const test = await model.evaluate(data, { probabilities: true });
    log(`test: accuracy ${(100 * test.accuracy).toFixed(2)}%, loss ${test.meanLoss.toFixed(4)}`);
    log(confusionTable(test.confusion, data.classes));

    await writeFileAtomic(join(out, 'weights.safetensors'), await model.save({ seed: String(fit.seed) }));
    const adapter = describeGpu(gpu);
    await writeRunArtifacts(out, {
      history: result.epochs,
      confusion: test.confusion,
      classes: data.classes,
      misclassified: misclassified(test, data.test ?? data.validation, data.shape, model.classes, 40),
      modelSummary: model.summary(),
      meta: {
        model: model.name,
        adapter,
        settings: { ...fit, ...dataSettings },
        testAccuracy: test.accuracy,
        testLoss: test.meanLoss,
        ...(choice.reportedAccuracy !== undefined ? { reportedAccuracy: choice.reportedAccuracy } : {}),
      },
      title: model.name,
    });
    log(`results: ${out}`);
    return { ...result, test, out, adapter };
  } finally {
    model.release();
  }
}

/**
 * Listens for Ctrl-C (SIGINT) and SIGTERM while a run trains: the first calls `first` (which asks
 * the run to stop at its next progress point, to save a checkpoint there); a second Ctrl-C exits
 * at once, leaving the last checkpoint as it was.
 */
function onInterrupt(first: () => void): { readonly requested: boolean; dispose(): void } {
  let requested = false;
  const handler = () => {
    if (requested) process.exit(130);
    requested = true;
    first();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    get requested() {
      return requested;
    },
    dispose() {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}

/**
 * Fault injection for the crash test (test/train/resume.test.ts): with WGML_CRASH_IN_CHECKPOINT=<epoch>
 * the process kills itself after writing that epoch's checkpoint to its temp file, before the rename.
 */
function crashHook(epoch: number): (() => void) | undefined {
  if (process.env.WGML_CRASH_IN_CHECKPOINT !== String(epoch)) return undefined;
  return () => process.kill(process.pid, 'SIGKILL');
}

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
