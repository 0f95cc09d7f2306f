import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Gpu } from '../gpu/device';
import { describeGpu } from '../gpu/device';
import type { FashionMnist } from '../data/fashion-mnist';
import { writeFileAtomic } from '../data/write-atomic-node';
import type { SeedModel } from '../models/seed-models';
import type { OptimizerKind } from '../optim/optimizer';
import { writeRunArtifacts } from '../report/write-node';
import { fit, type FitResult } from '../train/fit';
import { misclassified } from '../train/misclassified';
import { Trainer, type Evaluation } from '../train/trainer';
import { encodeWeights } from '../train/weights';
import { CHECKPOINT_FILE, encodeCheckpoint, type Checkpoint, type RunConfig } from '../train/checkpoint';
import { confusionTable } from '../report/confusion';
import { InterruptedError } from '../errors';
import { EpochProgress } from './progress';

export interface RunSettings {
  epochs: number;
  batchSize: number;
  lr: number;
  optimizer: OptimizerKind;
  seed: number;
  patience: number | null;
  validationSplit: number;
  trainLimit?: number;
  testLimit?: number;
}

/** Where a run continues from: the checkpoint of an earlier, interrupted run. */
export type Resume = Pick<Checkpoint, 'epoch' | 'history' | 'state' | 'affine'>;

export interface RunResult extends FitResult {
  test: Evaluation;
  out: string;
  adapter: string;
}

/** Trains `seed` with `settings`, prints progress, and writes the results folder `out`. */
export async function trainAndReport(gpu: Gpu, data: FashionMnist, seed: SeedModel, settings: RunSettings, out: string, log: (line: string) => void, resume?: Resume): Promise<RunResult> {
  const model = seed.build();
  await mkdir(out, { recursive: true });
  const trainer = await Trainer.create(gpu, model, data, {
    ...(resume ? { affine: resume.affine } : {}),
    batchSize: settings.batchSize,
    lr: settings.lr,
    optimizer: settings.optimizer,
    seed: settings.seed,
    preprocessing: seed.preprocessing,
    validationSplit: settings.validationSplit,
    ...(settings.trainLimit !== undefined ? { trainLimit: settings.trainLimit } : {}),
    ...(settings.testLimit !== undefined ? { testLimit: settings.testLimit } : {}),
  });
  try {
    const memory = trainer.memoryReport();
    log(`${model.name}: ${model.params.paramCount.toLocaleString('en-US')} parameters; ${settings.optimizer} lr ${settings.lr}, batch ${settings.batchSize}, ${settings.epochs} epochs, seed ${settings.seed}`);
    log(`step: ${trainer.trainProgram.calls.length} dispatches in one submit; activation memory ${mb(memory.planned)} planned vs ${mb(memory.naive)} without sharing`);
    if (resume) {
      trainer.importState(resume.state);
      const inside = resume.state.epochProgress;
      log(`resuming after epoch ${resume.epoch}${inside ? ` and step ${inside.step} of epoch ${resume.epoch + 1}` : ''} (step ${resume.state.globalStep})`);
    }
    const progress = new EpochProgress(settings.epochs);
    const config: RunConfig = { model: model.name, ...settings };
    const checkpointFile = join(out, CHECKPOINT_FILE);
    const interrupt = onInterrupt(() => {
      progress.stop();
      log('interrupted: stopping within a few steps to save a checkpoint (press Ctrl-C again to quit without it)');
      trainer.requestStop();
    });
    const result = await fit(trainer, {
      epochs: settings.epochs,
      patience: settings.patience,
      ...(resume ? { history: resume.history } : {}),
      // Between epochs the last checkpoint is already on disk: stop there.
      beforeEpoch: () => !interrupt.requested,
      onEpochStart: (_, steps) => progress.start(_, Math.min(steps * settings.batchSize, trainer.trainSplit.count)),
      onProgress: (_, p) => progress.update(p),
      onEpochEnd: async (r, _, history) => {
        progress.stop();
        log(
          `epoch ${String(r.epoch).padStart(String(settings.epochs).length)}/${settings.epochs}  loss ${r.loss.toFixed(4)}  acc ${r.accuracy.toFixed(4)}  ` +
            `val_loss ${r.valLoss.toFixed(4)}  val_acc ${r.valAccuracy.toFixed(4)}  ${r.seconds.toFixed(1)}s  ${Math.round(r.imagesPerSecond).toLocaleString('en-US')} img/s`,
        );
        const checkpoint = encodeCheckpoint(model, { config, epoch: r.epoch, history: [...history], state: await trainer.exportState(), affine: trainer.affine });
        await writeFileAtomic(checkpointFile, checkpoint, { beforeRename: crashHook(r.epoch) });
      },
    }).finally(() => interrupt.dispose());
    if (result.stopped === 'interrupted' || result.stopped === 'stop') {
      progress.stop();
      const done = result.history.length;
      if (result.stopped === 'stop' && done === 0) throw new InterruptedError('Interrupted before the first epoch; nothing was saved.', 'Start the run again.');
      let where = `after epoch ${done}`;
      if (result.stopped === 'interrupted') {
        // Inside an epoch: save where it stopped, so a resume continues from this very step.
        const state = await trainer.exportState();
        where = `at step ${state.epochProgress!.step} of ${trainer.stepsPerEpoch} in epoch ${done + 1}`;
        await writeFileAtomic(checkpointFile, encodeCheckpoint(model, { config, epoch: done, history: result.history, state, affine: trainer.affine }));
      }
      throw new InterruptedError(`Interrupted ${where} of ${settings.epochs}; the checkpoint ${checkpointFile} holds the run up to there.`, `Continue it with \`wgml train --resume ${out}\` (npm run cli -- train --resume ${out}).`);
    }
    if (result.stopped === 'early-stopping') log(`early stopping: validation loss has not improved for ${settings.patience} epochs`);

    const test = await trainer.evaluate('test', { probabilities: true });
    log(`test: accuracy ${(100 * test.accuracy).toFixed(2)}%, loss ${test.meanLoss.toFixed(4)}`);
    log(confusionTable(test.confusion, data.classes));

    const params = await trainer.readParams();
    await writeFileAtomic(join(out, 'weights.safetensors'), encodeWeights(model, params, trainer.affine, { seed: String(settings.seed) }));
    const adapter = describeGpu(gpu);
    await writeRunArtifacts(out, {
      history: result.history,
      confusion: test.confusion,
      classes: data.classes,
      misclassified: misclassified(test, data, 40),
      modelSummary: model.summary(),
      meta: { model: model.name, adapter, settings, testAccuracy: test.accuracy, testLoss: test.meanLoss, reportedAccuracy: seed.reportedAccuracy },
      title: model.name,
    });
    log(`results: ${out}`);
    return { ...result, test, out, adapter };
  } finally {
    trainer.release();
  }
}

/**
 * Listens for Ctrl-C (SIGINT) and SIGTERM while a run trains: the first calls `first` (which asks
 * the trainer to stop at its next progress point, to save a checkpoint there); a second Ctrl-C exits
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
