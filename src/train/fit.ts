import type { Dataset } from '../data/dataset';
import { DivergedError } from '../errors';
import type { Evaluation, ModelRuntime } from '../models/runtime';
import type { StepProgress, Trainer, TrainerState } from './trainer';
import type { FitSettings } from './settings';

/** One epoch of a run, as the report's curves plot it. */
export interface EpochRecord {
  epoch: number;
  loss: number;
  accuracy: number;
  valLoss: number;
  valAccuracy: number;
  /** Wall time of the training pass (not the validation). */
  seconds: number;
  imagesPerSecond: number;
}

/** Progress inside an epoch, reported every few steps (whenever the loop waits for the GPU). */
export interface BatchProgress {
  epoch: number;
  /** Steps of this epoch done, of `steps`. */
  step: number;
  steps: number;
  /** Training images of this epoch done. */
  images: number;
  /** The epoch's mean training loss so far (it lags the GPU by a few steps; absent at first). */
  loss?: number;
  /** Images per second in this epoch so far. */
  imagesPerSecond: number;
}

/** What onEpochEnd gets besides the epoch's record. */
export interface EpochLogs {
  /** The validation evaluation (loss, accuracy, confusion matrix). */
  validation: Evaluation;
  /** The test set's evaluation with class probabilities, when fit was asked for it (testEachEpoch). */
  test?: Evaluation;
  /** Every epoch so far, this one last. */
  history: readonly EpochRecord[];
}

/** Called during fit(); an async onEpochEnd is awaited (e.g. to save a checkpoint) before the next epoch. */
export interface FitCallbacks {
  /** Before each epoch's training pass; `epoch` counts from 1, `info` gives its steps and training images. */
  onEpochBegin?(epoch: number, info: { steps: number; images: number }): void;
  /** Every few steps (each time the loop waits for the GPU, about every 8), not after every batch as in Keras. */
  onBatchEnd?(progress: BatchProgress): void;
  /** After each epoch's training pass and validation; a thrown error ends fit() with it. */
  onEpochEnd?(record: EpochRecord, logs: EpochLogs): void | Promise<void>;
}

/** fit()'s options: FitSettings (only epochs is required), plus how to run and report. */
export interface FitOptions extends Partial<FitSettings> {
  epochs: number;
  callbacks?: FitCallbacks;
  /**
   * Aborting stops the run within a few steps. fit() then resolves with `stopped: 'interrupted'`
   * (inside an epoch; `model.checkpoint()` records that exact step) or `'stop'` (between epochs).
   */
  signal?: AbortSignal;
  /** The epochs already done: the run continues after them (e.g. after a pause, or from a checkpoint). */
  history?: readonly EpochRecord[];
  /** A training state to continue from (a checkpoint's `state`): weights, optimiser state, counters. */
  resume?: TrainerState;
  /** Also evaluate the test set with class probabilities after each epoch (reused as the validation when that is the test set). */
  testEachEpoch?: boolean;
}

/** What fit() returns, as Keras' History: the epochs, and each metric as a series. */
export interface History {
  epochs: EpochRecord[];
  history: { loss: number[]; accuracy: number[]; valLoss: number[]; valAccuracy: number[] };
  /** The last validation evaluation (none when the run stopped before an epoch ended). */
  validation?: Evaluation;
  /**
   * Why the run ended before its last epoch, if it did: the signal aborted between epochs ('stop')
   * or inside one ('interrupted': model.checkpoint() holds the position), or early stopping.
   */
  stopped?: 'stop' | 'early-stopping' | 'interrupted';
  /** With 'interrupted': the steps of the unfinished epoch done, and its steps in all. */
  interruptedAt?: { step: number; steps: number };
}

/** Trains for the epochs left (or until early stopping or the signal), validating after each, as Keras' fit(). */
export async function runFit(runtime: ModelRuntime, trainer: Trainer, data: Dataset, settings: FitSettings, options: FitOptions): Promise<History> {
  const { callbacks = {}, signal } = options;
  const history: EpochRecord[] = [...(options.history ?? [])];
  // Early stopping's state is a function of the history, so a resumed run stops where the original would.
  let best = Infinity;
  let sinceBest = 0;
  for (const r of history) [best, sinceBest] = r.valLoss < best ? [r.valLoss, 0] : [best, sinceBest + 1];
  const validatesOnTest = data.validation === data.test;
  const abort = () => trainer.requestStop();
  signal?.addEventListener('abort', abort);
  let validation: Evaluation | undefined;
  let stopped: History['stopped'];
  let interruptedAt: History['interruptedAt'];
  try {
    for (let epoch = history.length + 1; epoch <= settings.epochs; epoch++) {
      if (signal?.aborted) {
        stopped = 'stop';
        break;
      }
      callbacks.onEpochBegin?.(epoch, { steps: trainer.stepsPerEpoch, images: trainer.trainSplit.count });
      const started = performance.now();
      const train = await trainer.trainEpoch(epoch, (p: StepProgress) =>
        callbacks.onBatchEnd?.({
          epoch,
          step: p.step,
          steps: p.steps,
          images: p.images,
          ...(p.runningLoss !== undefined ? { loss: p.runningLoss } : {}),
          imagesPerSecond: p.images / Math.max(1e-9, (performance.now() - started) / 1000),
        }),
      );
      if (train.interruptedAfter !== undefined) {
        stopped = 'interrupted';
        interruptedAt = { step: train.interruptedAfter, steps: trainer.stepsPerEpoch };
        break;
      }
      if (!Number.isFinite(train.meanLoss)) {
        throw new DivergedError(`The training loss became ${train.meanLoss} in epoch ${epoch}: the model diverged.`, 'Lower the learning rate (lr), e.g. by a factor of 10.');
      }
      const test = options.testEachEpoch && data.test ? await runtime.evaluate(data.test, { probabilities: true, name: 'test' }) : undefined;
      validation = test && validatesOnTest ? test : await runtime.evaluate(data.validation, { name: 'validation' });
      const record: EpochRecord = {
        epoch,
        loss: train.meanLoss,
        accuracy: train.accuracy,
        valLoss: validation.meanLoss,
        valAccuracy: validation.accuracy,
        seconds: train.seconds,
        imagesPerSecond: train.rows / train.seconds,
      };
      history.push(record);
      await callbacks.onEpochEnd?.(record, { validation, ...(test ? { test } : {}), history });
      if (record.valLoss < best) {
        best = record.valLoss;
        sinceBest = 0;
      } else if (settings.patience !== null && ++sinceBest >= settings.patience) {
        stopped = 'early-stopping';
        break;
      }
    }
  } finally {
    signal?.removeEventListener('abort', abort);
  }
  return {
    epochs: history,
    history: {
      loss: history.map((r) => r.loss),
      accuracy: history.map((r) => r.accuracy),
      valLoss: history.map((r) => r.valLoss),
      valAccuracy: history.map((r) => r.valAccuracy),
    },
    ...(validation ? { validation } : {}),
    ...(stopped ? { stopped } : {}),
    ...(interruptedAt ? { interruptedAt } : {}),
  };
}
