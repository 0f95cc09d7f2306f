/**
 * One training run, driven epoch by epoch on top of the public Trainer API (as src/train/fit.ts
 * does, plus pause and resume): train an epoch (the trainer awaits the GPU every few steps, so the
 * page stays responsive), evaluate, snapshot the weights, report; pause and stop take effect at the
 * next epoch boundary, since a Trainer epoch cannot be interrupted from outside.
 */
import type { FashionMnist } from '../../src/data';
import type { PixelAffine } from '../../src/data/preprocess';
import { GpuError } from '../../src/errors';
import type { Gpu } from '../../src/gpu/device';
import { seedModel, type SeedModel } from '../../src/models/seed-models';
import type { Sequential } from '../../src/models/sequential';
import type { EpochRecord } from '../../src/report/types';
import { Trainer, type Evaluation, type StepProgress } from '../../src/train/trainer';
import type { DemoSettings, RunPhase } from './controls';

/** A model with weights: what the results, the drawing pad and the download use. */
export interface TrainedModel {
  readonly seed: SeedModel;
  readonly model: Sequential;
  readonly params: Float32Array;
  readonly affine: PixelAffine;
  /** "epoch 3 of a run" or "weights.safetensors": for captions. */
  readonly origin: string;
  readonly metadata: Record<string, string>;
}

export interface EpochReport {
  record: EpochRecord;
  /** The test set's evaluation, with class probabilities (the validation set when that is the test set). */
  test: Evaluation;
  trained: TrainedModel;
}

export interface RunEvents {
  phase(phase: RunPhase): void;
  epochStart(epoch: number, steps: number): void;
  progress(epoch: number, p: StepProgress): void;
  evaluating(what: string): void;
  epochEnd(report: EpochReport): void;
}

export interface RunOutcome {
  history: EpochRecord[];
  /** Why the run ended before its last epoch, if it did. */
  stopped?: 'stop' | 'early-stopping';
}

export class TrainingRun {
  private pauseRequested = false;
  private stopRequested = false;
  private wake: (() => void) | null = null;

  private constructor(
    private readonly trainer: Trainer,
    private readonly seed: SeedModel,
    private readonly settings: DemoSettings,
    private readonly events: RunEvents,
  ) {}

  /** Uploads the data and compiles the model; the run starts with `run()`. */
  static async create(gpu: Gpu, data: FashionMnist, settings: DemoSettings, events: RunEvents): Promise<TrainingRun> {
    const seed = seedModel(settings.model);
    const trainer = await Trainer.create(gpu, seed.build(), data, {
      batchSize: settings.batchSize,
      lr: settings.lr,
      optimizer: settings.optimizer,
      seed: settings.seed,
      preprocessing: seed.preprocessing,
      validationSplit: settings.validationSplit,
      trainLimit: settings.trainLimit,
      testLimit: settings.testLimit,
    });
    return new TrainingRun(trainer, seed, settings, events);
  }

  get stepsPerEpoch(): number {
    return this.trainer.stepsPerEpoch;
  }

  get trainCount(): number {
    return this.trainer.trainSplit.count;
  }

  /** Pause at the end of the running epoch. */
  pause(): void {
    if (this.stopRequested) return;
    this.pauseRequested = true;
    this.events.phase(this.wake ? 'paused' : 'pausing');
  }

  resume(): void {
    this.pauseRequested = false;
    if (this.wake) this.wake();
    else this.events.phase('running');
  }

  /** Stop at the end of the running epoch (at once when paused). */
  stop(): void {
    this.stopRequested = true;
    this.events.phase('stopping');
    this.wake?.();
  }

  /** Runs every epoch (or until stopped); the trainer's GPU memory is freed when it returns. */
  async run(): Promise<RunOutcome> {
    const { trainer, settings, events } = this;
    const history: EpochRecord[] = [];
    let best = Infinity;
    let sinceBest = 0;
    try {
      events.phase('running');
      for (let epoch = 1; epoch <= settings.epochs; epoch++) {
        if (this.pauseRequested && !this.stopRequested) {
          events.phase('paused');
          await new Promise<void>((resolve) => (this.wake = resolve));
          this.wake = null;
          if (!this.stopRequested) events.phase('running');
        }
        if (this.stopRequested) return { history, stopped: 'stop' };

        events.epochStart(epoch, trainer.stepsPerEpoch);
        const started = performance.now();
        const train = await trainer.trainEpoch(epoch, (p) => events.progress(epoch, p));
        const seconds = (performance.now() - started) / 1000;
        if (!Number.isFinite(train.meanLoss)) {
          throw new GpuError(`The training loss became ${train.meanLoss} in epoch ${epoch}: the model diverged.`, 'Lower the learning rate, e.g. by a factor of 10.');
        }
        // With the test set as validation (the report's way) one evaluation serves both.
        events.evaluating('the test set');
        const test = await trainer.evaluate('test', { probabilities: true });
        let validation = test;
        if (settings.validationSplit > 0) {
          events.evaluating('the validation images');
          validation = await trainer.evaluate('validation');
        }
        const record: EpochRecord = {
          epoch,
          loss: train.meanLoss,
          accuracy: train.accuracy,
          valLoss: validation.meanLoss,
          valAccuracy: validation.accuracy,
          seconds,
          imagesPerSecond: train.rows / seconds,
        };
        history.push(record);
        const params = await trainer.readParams();
        events.epochEnd({
          record,
          test,
          trained: {
            seed: this.seed,
            model: trainer.model,
            params,
            affine: trainer.affine,
            origin: `epoch ${epoch}`,
            metadata: {
              seed: String(settings.seed),
              epochs: String(epoch),
              batchSize: String(settings.batchSize),
              lr: String(settings.lr),
              optimizer: settings.optimizer,
              trainImages: String(trainer.trainSplit.count),
              trainedIn: 'wgml demo (browser)',
            },
          },
        });
        if (record.valLoss < best) {
          best = record.valLoss;
          sinceBest = 0;
        } else if (settings.patience !== null && ++sinceBest >= settings.patience) {
          return { history, stopped: 'early-stopping' };
        }
      }
      return { history, ...(this.stopRequested && history.length < settings.epochs ? { stopped: 'stop' as const } : {}) };
    } finally {
      trainer.release();
    }
  }
}

/** The test set's evaluation (with probabilities) for weights that were not trained in this page. */
export async function evaluateWeights(gpu: Gpu, data: FashionMnist, trained: TrainedModel, testLimit: number): Promise<Evaluation> {
  const trainer = await Trainer.create(gpu, trained.seed.build(), data, {
    // The training split is unused, so keep it to one batch of one image.
    batchSize: 1,
    trainLimit: 1,
    testLimit,
    lr: 1e-3, // never used: nothing is trained
    optimizer: 'sgd',
    seed: 0,
    preprocessing: trained.seed.preprocessing,
    affine: trained.affine,
  });
  try {
    trainer.writeParams(trained.params);
    return await trainer.evaluate('test', { probabilities: true });
  } finally {
    trainer.release();
  }
}
