import { UsageError } from '../errors';
import { OPTIMIZERS, type OptimizerKind } from '../optim/optimizer';

/**
 * How to train: what fit() takes besides data and callbacks. With the dataset's DataSettings
 * (data/dataset.ts), the whole of a run's settings: a checkpoint records both, the command line and
 * the demo build both, and one checker each serves all of them.
 */
export interface FitSettings {
  /** Train up to this epoch (a run resumed after epoch 3 with epochs 10 trains 4 to 10). */
  epochs: number;
  batchSize: number;
  optimizer: OptimizerKind;
  /** Learning rate. */
  lr: number;
  /** Fixes initialisation, shuffling and dropout: the same seed gives the same run, bit for bit. */
  seed: number;
  /** Stop when the validation loss has not improved for this many epochs; null: never. */
  patience: number | null;
  /**
   * 'float32' (default): every product in f32, bit-compatible with the float64 reference to f32
   * rounding. 'mixed_float16' (Keras' policy name): the training step's dense layers read an f16
   * copy of their weights (f32 master weights, f32 arithmetic and activations); see README.
   */
  precision?: Precision;
}

/** The precisions fit() takes by name. */
export const PRECISIONS = ['float32', 'mixed_float16'] as const;
/** 'float32', or 'mixed_float16' (dense layers train on an f16 copy of their weights); see FitSettings.precision. */
export type Precision = (typeof PRECISIONS)[number];

/** fit()'s defaults for what a caller leaves out (Keras' for Adam's learning rate). */
export const FIT_DEFAULTS: Required<Omit<FitSettings, 'epochs'>> = { batchSize: 32, optimizer: 'adam', lr: 1e-3, seed: 0, patience: null, precision: 'float32' };

/** What is wrong with `s`'s fit settings (as '<field> ...'), or null; for typed errors in every caller. */
export function fitSettingsProblem(s: Record<string, unknown>): string | null {
  const whole = (v: unknown, min: number) => Number.isSafeInteger(v) && (v as number) >= min;
  if (!whole(s.epochs, 1)) return `epochs (${String(s.epochs)}) must be a whole number of at least 1`;
  if (!whole(s.batchSize, 1)) return `batchSize (${String(s.batchSize)}) must be a whole number of at least 1`;
  if (!(typeof s.lr === 'number' && Number.isFinite(s.lr) && s.lr > 0)) return `lr (${String(s.lr)}) must be a number above 0`;
  if (!(OPTIMIZERS as readonly unknown[]).includes(s.optimizer)) return `optimizer '${String(s.optimizer)}' must be one of ${OPTIMIZERS.join(', ')}`;
  if (!(whole(s.seed, 0) && (s.seed as number) <= 0xffffffff)) return `seed (${String(s.seed)}) must be a whole number from 0 to 4294967295`;
  if (!(s.patience === null || whole(s.patience, 1))) return `patience (${String(s.patience)}) must be null or a whole number of at least 1`;
  if (!(s.precision === undefined || (PRECISIONS as readonly unknown[]).includes(s.precision))) return `precision '${String(s.precision)}' must be one of ${PRECISIONS.join(', ')}`;
  return null;
}

/** Throws a UsageError when `s` has a problem. */
export function checkFitSettings(s: FitSettings): void {
  const problem = fitSettingsProblem(s as unknown as Record<string, unknown>);
  if (problem) throw new UsageError(`fit: ${problem}.`);
}
