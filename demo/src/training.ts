/**
 * One training run, driven epoch by epoch by src/train/fit.ts on the public Trainer API, plus pause
 * and stop: train an epoch (the trainer awaits the GPU every few steps, so the page stays
 * responsive), evaluate, checkpoint, report. Pause and stop act within a few steps
 * (trainer.requestStop ends the epoch at its next progress point, and the next fit() continues it
 * exactly where it stopped). The checkpoint (in memory, at each epoch's end) lets a run whose device
 * was lost continue on a new device exactly as if never interrupted.
 */
import type { FashionMnist } from '../../src/data';
import type { PixelAffine } from '../../src/data/preprocess';
import type { Gpu } from '../../src/gpu/device';
import { seedModel, type SeedModel } from '../../src/models/seed-models';
import type { Sequential } from '../../src/models/sequential';
import type { EpochRecord } from '../../src/report/types';
import { fit, type FitResult } from '../../src/train/fit';
import { Trainer, type Evaluation, type StepProgress, type TrainerState, type TrainOptions } from '../../src/train/trainer';
import type { DemoSettings, RunPhase } from './controls';
import { DeviceLostError, unlessLost } from './gpu';

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

/**
 * A run as it stood at the end of an epoch: everything needed to continue it on another device.
 * The trainer's state holds the step counters (dropout's random stream, Adam's t) and the shuffling
 * follows the seed and the epoch number, so the epochs after a resume are those the run would have
 * trained anyway.
 */
export interface RunCheckpoint {
  readonly settings: DemoSettings;
  readonly state: TrainerState;
  /** The finished epochs, the last one being the epoch the state is from. */
  readonly history: readonly EpochRecord[];
}

export interface EpochReport {
  record: EpochRecord;
  checkpoint: RunCheckpoint;
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
  stopped?: FitResult['stopped'];
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
    /** The epochs done before this run was created (from a checkpoint). */
    private readonly done: readonly EpochRecord[],
  ) {}

  /**
   * Uploads the data and compiles the model, then takes `from`'s state if given; the run starts
   * (or continues after `from`'s last epoch) with `run()`. Rejects with a DeviceLostError if the
   * device is lost meanwhile.
   */
  static async create(gpu: Gpu, data: FashionMnist, settings: DemoSettings, events: RunEvents, from: RunCheckpoint | null = null): Promise<TrainingRun> {
    const seed = seedModel(settings.model);
    const trainer = await unlessLost(gpu, Trainer.create(gpu, seed.build(), data, trainerOptions(settings)));
    if (from) trainer.importState(from.state);
    return new TrainingRun(trainer, seed, settings, events, from?.history ?? []);
  }

  get stepsPerEpoch(): number {
    return this.trainer.stepsPerEpoch;
  }

  get trainCount(): number {
    return this.trainer.trainSplit.count;
  }

  /** Pause within a few steps (the trainer stops the epoch at its next progress point and continues it on resume). */
  pause(): void {
    if (this.stopRequested) return;
    this.pauseRequested = true;
    this.trainer.requestStop();
    this.events.phase(this.wake ? 'paused' : 'pausing');
  }

  resume(): void {
    this.pauseRequested = false;
    if (this.wake) this.wake();
    else this.events.phase('running');
  }

  /** Stop within a few steps (at once when paused); the results stay those of the last finished epoch. */
  stop(): void {
    this.stopRequested = true;
    this.trainer.requestStop();
    this.events.phase('stopping');
    this.wake?.();
  }

  /**
   * Runs every epoch left (or until stopped); the trainer's GPU memory is freed when it ends. If
   * the device is lost, rejects with a DeviceLostError at once, even while paused.
   */
  async run(): Promise<RunOutcome> {
    const { trainer, events } = this;
    events.phase('running');
    const fitting = this.fit().finally(() => trainer.release());
    try {
      const { history, stopped } = await unlessLost(trainer.gpu, fitting);
      return { history, ...(stopped ? { stopped } : {}) };
    } catch (e) {
      if (e instanceof DeviceLostError) {
        // A paused fit() ends instead of waiting for a resume that cannot come.
        this.stopRequested = true;
        this.wake?.();
      }
      throw e;
    }
  }

  /** fit(), again after each pause inside an epoch: the trainer continues the epoch where it stopped. */
  private async fit(): Promise<FitResult> {
    let history = [...this.done];
    for (;;) {
      const result = await this.fitFrom(history);
      if (result.stopped !== 'interrupted') return result;
      history = result.history;
      if (!(await this.waitWhilePaused())) return { ...result, stopped: 'stop' };
    }
  }

  /** Waits while paused; false once the run should stop. */
  private async waitWhilePaused(): Promise<boolean> {
    if (this.pauseRequested && !this.stopRequested) {
      this.events.phase('paused');
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = null;
      if (!this.stopRequested) this.events.phase('running');
    }
    return !this.stopRequested;
  }

  private fitFrom(history: EpochRecord[]): Promise<FitResult> {
    const { trainer, settings, events } = this;
    return fit(trainer, {
      epochs: settings.epochs,
      patience: settings.patience,
      history,
      testEachEpoch: true,
      beforeEpoch: () => this.waitWhilePaused(),
      onEpochStart: (epoch, steps) => events.epochStart(epoch, steps),
      onProgress: (epoch, p) => {
        events.progress(epoch, p);
        // The epoch's last steps are queued: fit() evaluates next.
        if (p.step === p.steps) events.evaluating(trainer.validatesOnTest ? 'the test set' : 'the test and validation images');
      },
      onEpochEnd: async (record, _, history, test) => {
        // Taken before the epoch is reported: what the page shows is always covered by a checkpoint.
        const state = await trainer.exportState();
        events.epochEnd({
          record,
          checkpoint: { settings, state, history: [...history] },
          test: test!,
          trained: {
            seed: this.seed,
            model: trainer.model,
            params: state.params,
            affine: trainer.affine,
            origin: `epoch ${record.epoch}`,
            metadata: {
              seed: String(settings.seed),
              epochs: String(record.epoch),
              batchSize: String(settings.batchSize),
              lr: String(settings.lr),
              optimizer: settings.optimizer,
              trainImages: String(trainer.trainSplit.count),
              trainedIn: 'wgml demo (browser)',
            },
          },
        });
      },
    });
  }
}

/** The trainer a run of `settings` uses (the profiler builds its own from these too, with a smaller subset). */
export function trainerOptions(settings: DemoSettings): TrainOptions {
  return {
    batchSize: settings.batchSize,
    lr: settings.lr,
    optimizer: settings.optimizer,
    seed: settings.seed,
    preprocessing: seedModel(settings.model).preprocessing,
    validationSplit: settings.validationSplit,
    trainLimit: settings.trainLimit,
    testLimit: settings.testLimit,
  };
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
