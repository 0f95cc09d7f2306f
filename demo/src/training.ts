/**
 * One training run on wgml's public API: the chosen model (a seed model or a model file) compiled
 * in the training worker (a RemoteModel) and trained by `model.fit`, which evaluates the test set
 * after each epoch, plus pause and stop. Both abort fit's
 * signal, so they act within a few steps; resuming a pause calls fit again with the same settings
 * and the epochs so far, and the model continues the stopped epoch exactly where it stopped. After
 * each epoch the run keeps a checkpoint in memory (`model.checkpoint()`), from which a run whose
 * device was lost continues on a new device exactly as if never interrupted.
 */
import {
  createDataset, loadCheckpoint, loadModel,
  type BatchProgress, type Dataset, type DatasetArrays, type EpochRecord, type Evaluation, type FitCallbacks, type History, type ImagesAndLabels, type RemoteDataset, type RemoteModel, type TrainerState,
} from '../../src/index';
import type { DemoSettings, RunPhase } from './controls';
import { DeviceLostError, unlessLost, type Gpu } from './gpu';

/** Trained weights, kept in the page: they outlive the run's model and its device. */
export interface TrainedModel {
  /** model.save()'s safetensors bytes: the architecture, the weights and the pre-processing. */
  readonly weights: Uint8Array;
  readonly name: string;
  /** "epoch 3" or "weights.safetensors": for captions. */
  readonly origin: string;
  /** The model's input shape: the drawing pad draws for [28, 28, 1] (or [784]) only. */
  readonly inputShape: readonly number[];
  /** Its classes' names, in label order (the dataset's it was trained on, or numbered). */
  readonly classNames: readonly string[];
}

/**
 * A run as it stood at the end of an epoch (or where it was paused): everything needed to continue it on another device.
 * The checkpoint holds the step counters (dropout's random stream, Adam's t) and the shuffling
 * follows the seed and the epoch number, so the epochs after a resume are those the run would have
 * trained anyway.
 */
export interface RunCheckpoint {
  readonly settings: DemoSettings;
  /** The finished epochs: the checkpoint is from the end of the last, or inside the next (a pause). */
  readonly history: readonly EpochRecord[];
  /** model.checkpoint()'s bytes, for loadCheckpoint. */
  readonly bytes: Uint8Array;
}

export interface EpochReport {
  record: EpochRecord;
  checkpoint: RunCheckpoint;
  /** The test set's evaluation, with class probabilities (the validation when that is the test set). */
  test: Evaluation;
  /** The test set the run evaluates, on the page's side (for the gallery's images). */
  data: Dataset;
  trained: TrainedModel;
}

export interface RunEvents {
  phase(phase: RunPhase): void;
  epochStart(epoch: number, steps: number): void;
  progress(p: BatchProgress): void;
  evaluating(what: string): void;
  /** Awaited before the next epoch (the page shows the results meanwhile). */
  epochEnd(report: EpochReport): Promise<void>;
  /** Paused: the checkpoint of the exact step it stopped at (inside an epoch), awaited before 'paused' is announced. */
  paused(checkpoint: RunCheckpoint): Promise<void>;
}

export class TrainingRun {
  private pauseRequested = false;
  private stopRequested = false;
  private wake: (() => void) | null = null;
  /** Aborted by pause() and stop(); a new one for each fit() after a pause. */
  private abort = new AbortController();

  private constructor(
    private readonly gpu: Gpu,
    private readonly model: RemoteModel,
    private readonly data: RemoteDataset,
    /** The run's test images on this side, for the results panel. */
    private readonly shown: Dataset,
    private readonly settings: DemoSettings,
    private readonly events: RunEvents,
    /** The epochs done before this run was created, and the training state after them (from a checkpoint). */
    private readonly done: readonly EpochRecord[],
    private readonly state: TrainerState | undefined,
  ) {}

  /**
   * Makes the dataset and compiles the model: a new one, or `from`'s, whose weights, history and
   * training state the run continues. The run starts with `run()`. Rejects with a DeviceLostError
   * if the device is lost meanwhile.
   */
  static async create(gpu: Gpu, arrays: DatasetArrays, settings: DemoSettings, events: RunEvents, from: RunCheckpoint | null = null): Promise<TrainingRun> {
    const checkpoint = from && loadCheckpoint(from.bytes, "the run's last checkpoint");
    const model = checkpoint?.model ?? settings.model.build();
    // Before the GPU: a model that does not take these images is a ShapeError naming both shapes.
    model.checkFits(createDataset(arrays, { ...settings.data, preprocessing: 'none' }), settings.fit.batchSize);
    const data = await unlessLost(gpu, gpu.createDataset(firstExamplesOf(arrays, settings.data), settings.data));
    const compiled = await unlessLost(gpu, gpu.compile(model, { seed: settings.fit.seed }));
    return new TrainingRun(gpu, compiled, data, testView(arrays, settings.data.testLimit), settings, events, checkpoint?.history ?? [], checkpoint?.state);
  }

  /** Pause within a few steps (fit stops at its next progress point; resume() continues the epoch there). */
  pause(): void {
    if (this.stopRequested) return;
    this.pauseRequested = true;
    this.abort.abort();
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
    this.abort.abort();
    this.events.phase('stopping');
    this.wake?.();
  }

  /**
   * Runs every epoch left (or until stopped); the model's GPU memory is freed when it ends. If the
   * device is lost, rejects with a DeviceLostError at once, even while paused.
   */
  async run(): Promise<History> {
    this.events.phase('running');
    const fitting = this.fit().finally(() => {
      this.model.release();
      this.data.release();
    });
    try {
      return await unlessLost(this.gpu, fitting);
    } catch (e) {
      if (e instanceof DeviceLostError) {
        // A paused run ends instead of waiting for a resume that cannot come.
        this.stopRequested = true;
        this.wake?.();
      }
      throw e;
    }
  }

  /** model.fit, again after each pause: with the same settings, the model continues the epoch where it stopped. */
  private async fit(): Promise<History> {
    let history = this.done;
    let resume = this.state;
    for (;;) {
      const result = await this.model.fit(this.data, {
        ...this.settings.fit,
        history,
        ...(resume ? { resume } : {}),
        signal: this.abort.signal,
        testEachEpoch: true,
        callbacks: this.callbacks(),
      });
      // Only pause() and stop() abort the signal.
      if (result.stopped !== 'interrupted' && result.stopped !== 'stop') return result;
      if (!(await this.waitWhilePaused(result.epochs))) return { ...result, stopped: 'stop' };
      history = result.epochs;
      resume = undefined;
      this.abort = new AbortController();
    }
  }

  /** Waits while paused (after handing the paused position's checkpoint to `events.paused`); false once the run should stop. */
  private async waitWhilePaused(history: readonly EpochRecord[]): Promise<boolean> {
    if (this.pauseRequested && !this.stopRequested) {
      await this.events.paused({ settings: this.settings, history: [...history], bytes: await this.model.checkpoint() });
      this.events.phase('paused');
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = null;
      if (!this.stopRequested) this.events.phase('running');
    }
    return !this.stopRequested;
  }

  private callbacks(): FitCallbacks {
    const { model, data, shown, settings, events } = this;
    const fit = settings.fit;
    return {
      onEpochBegin: (epoch, { steps }) => events.epochStart(epoch, steps),
      onBatchEnd: (p) => {
        events.progress(p);
        // The epoch's last steps are queued: fit evaluates next.
        if (p.step === p.steps) events.evaluating(data.settings.validationSplit === 0 ? 'the test set' : 'the test and validation images');
      },
      onEpochEnd: async (record, { test, history }) => {
        // Taken before the epoch is reported: what the page shows is always covered by a checkpoint.
        const bytes = await model.checkpoint();
        const weights = await model.save({
          seed: String(fit.seed),
          epochs: String(record.epoch),
          batchSize: String(fit.batchSize),
          lr: String(fit.lr),
          optimizer: fit.optimizer,
          trainImages: String(data.counts.train),
          trainedIn: 'wgml demo (browser)',
        });
        await events.epochEnd({
          record,
          checkpoint: { settings, history: [...history], bytes },
          // testEachEpoch, and every dataset the page loads has a test set.
          test: test!,
          data: shown,
          trained: { weights, name: model.name, origin: `epoch ${record.epoch}`, inputShape: model.inputShape, classNames: data.classes },
        });
      },
    };
  }
}

/**
 * The examples a run uses (its train and test limits), copied: only they travel to the worker, not
 * the whole dataset's buffers (a copy of 60,000 images would hold the page's thread a while).
 */
function firstExamplesOf(arrays: DatasetArrays, limits: { trainLimit?: number; testLimit?: number }): DatasetArrays {
  const first = (split: ImagesAndLabels, limit = split.labels.length): ImagesAndLabels => {
    const n = Math.min(limit, split.labels.length);
    const size = split.images.length / Math.max(1, split.labels.length);
    return { images: split.images.slice(0, n * size), labels: Uint32Array.from({ length: n }, (_, i) => split.labels[i]!) };
  };
  return { ...arrays, train: first(arrays.train, limits.trainLimit), ...(arrays.test ? { test: first(arrays.test, limits.testLimit) } : {}) };
}

/** The first `testLimit` test images on the page's side, as a Dataset (no pre-processing: it only shows them). */
function testView(arrays: DatasetArrays, testLimit: number): Dataset {
  return createDataset(arrays, { preprocessing: 'none', trainLimit: 1, testLimit });
}

/** The first `testLimit` test images, and their evaluation (with probabilities) by weights that were not trained in this page. */
export async function evaluateWeights(gpu: Gpu, arrays: DatasetArrays, trained: TrainedModel, testLimit: number): Promise<{ test: Evaluation; data: Dataset }> {
  const shown = testView(arrays, testLimit);
  loadModel(trained.weights, trained.origin).checkFits(shown);
  // Only the test set is used, and the model brings its own pre-processing: one training image will do.
  const data = await gpu.createDataset(arrays, { trainLimit: 1, testLimit });
  const model = await gpu.loadModel(trained.weights);
  try {
    return { test: await model.evaluate(data, { probabilities: true }), data: shown };
  } finally {
    model.release();
    data.release();
  }
}
