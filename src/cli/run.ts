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
      log(`resuming after epoch ${resume.epoch} (step ${resume.state.globalStep})`);
    }
    const progress = new EpochProgress(settings.epochs);
    const config: RunConfig = { model: model.name, ...settings };
    const result = await fit(trainer, {
      epochs: settings.epochs,
      patience: settings.patience,
      ...(resume ? { history: resume.history } : {}),
      onEpochStart: (_, steps) => progress.start(_, Math.min(steps * settings.batchSize, trainer.trainSplit.count)),
      onProgress: (_, p) => progress.update(p),
      onEpochEnd: async (r, _, history) => {
        progress.stop();
        log(
          `epoch ${String(r.epoch).padStart(String(settings.epochs).length)}/${settings.epochs}  loss ${r.loss.toFixed(4)}  acc ${r.accuracy.toFixed(4)}  ` +
            `val_loss ${r.valLoss.toFixed(4)}  val_acc ${r.valAccuracy.toFixed(4)}  ${r.seconds.toFixed(1)}s  ${Math.round(r.imagesPerSecond).toLocaleString('en-US')} img/s`,
        );
        const checkpoint = encodeCheckpoint(model, { config, epoch: r.epoch, history: [...history], state: await trainer.exportState(), affine: trainer.affine });
        await writeFileAtomic(join(out, CHECKPOINT_FILE), checkpoint, { beforeRename: crashHook(r.epoch) });
      },
    });
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
 * Fault injection for the crash test (test/train/resume.test.ts): with WGML_CRASH_IN_CHECKPOINT=<epoch>
 * the process kills itself after writing that epoch's checkpoint to its temp file, before the rename.
 */
function crashHook(epoch: number): (() => void) | undefined {
  if (process.env.WGML_CRASH_IN_CHECKPOINT !== String(epoch)) return undefined;
  return () => process.kill(process.pid, 'SIGKILL');
}

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
