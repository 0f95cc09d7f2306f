import { DivergedError } from '../errors';
import type { Evaluation, StepProgress, Trainer } from './trainer';

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

export interface FitOptions {
  epochs: number;
  /** Stop when the validation loss has not improved for this many epochs; null: never. */
  patience: number | null;
  /** The history of epochs already done: a resumed run continues after them. */
  history?: EpochRecord[];
  /** Also evaluate the test set with class probabilities after each epoch (for galleries); reused as the validation when that is the test set. */
  testEachEpoch?: boolean;
  /** Awaited before each epoch (a paused run waits here); false ends the run (a person pressed stop). */
  beforeEpoch?(epoch: number): boolean | Promise<boolean>;
  onEpochStart?(epoch: number, steps: number): void;
  onProgress?(epoch: number, p: StepProgress): void;
  /** After each epoch, with the whole history so far (e.g. to write a checkpoint), and the test evaluation if asked for. */
  onEpochEnd?(record: EpochRecord, validation: Evaluation, history: readonly EpochRecord[], test?: Evaluation): void | Promise<void>;
}

export interface FitResult {
  history: EpochRecord[];
  /** The last validation evaluation (none when the run was interrupted before an epoch ended). */
  validation?: Evaluation;
  /**
   * Why the run ended before its last epoch, if it did: stopped between epochs (beforeEpoch said
   * so), early stopping, or interrupted inside an epoch by trainer.requestStop() (the trainer's
   * exportState() then holds the position, to resume from).
   */
  stopped?: 'stop' | 'early-stopping' | 'interrupted';
}

/** Trains for `epochs` epochs (or until early stopping), validating after each, as Keras' fit(). */
export async function fit(trainer: Trainer, options: FitOptions): Promise<FitResult> {
  const history: EpochRecord[] = [...(options.history ?? [])];
  // Early stopping's state is a function of the history, so a resumed run stops where the original would.
  let best = Infinity;
  let sinceBest = 0;
  for (const r of history) [best, sinceBest] = r.valLoss < best ? [r.valLoss, 0] : [best, sinceBest + 1];
  let validation: Evaluation | undefined;
  let stopped: FitResult['stopped'];
  for (let epoch = history.length + 1; epoch <= options.epochs; epoch++) {
    if (options.beforeEpoch && !(await options.beforeEpoch(epoch))) {
      stopped = 'stop';
      break;
    }
    options.onEpochStart?.(epoch, trainer.stepsPerEpoch);
    const train = await trainer.trainEpoch(epoch, (p) => options.onProgress?.(epoch, p));
    if (train.interruptedAfter !== undefined) {
      stopped = 'interrupted';
      break;
    }
    if (!Number.isFinite(train.meanLoss)) {
      throw new DivergedError(
        `The training loss became ${train.meanLoss} in epoch ${epoch}: the model diverged.`,
        'Lower the learning rate (--lr), e.g. by a factor of 10.',
      );
    }
    const test = options.testEachEpoch ? await trainer.evaluate('test', { probabilities: true }) : undefined;
    validation = test && trainer.validatesOnTest ? test : await trainer.evaluate('validation');
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
    await options.onEpochEnd?.(record, validation, history, test);
    if (record.valLoss < best) {
      best = record.valLoss;
      sinceBest = 0;
    } else if (options.patience !== null && ++sinceBest >= options.patience) {
      stopped = 'early-stopping';
      break;
    }
  }
  if (!validation && stopped !== 'interrupted') validation = await trainer.evaluate('validation');
  return { history, ...(validation ? { validation } : {}), ...(stopped ? { stopped } : {}) };
}
