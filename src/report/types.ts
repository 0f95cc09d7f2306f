/**
 * What a finished training run hands to the report module. Plain data only, so the same values can
 * come from the trainer in Node, from the demo in the browser, or from a saved history.json.
 */

import type { EpochRecord } from '../train/fit';

/** One epoch's metrics (defined by the trainer's fit()); a metric not measured is NaN. */
export type { EpochRecord };

/** Column order of history.csv, and the keys every record must have. */
export const EPOCH_FIELDS = [
  'epoch', 'loss', 'accuracy', 'valLoss', 'valAccuracy', 'seconds', 'imagesPerSecond',
] as const satisfies readonly (keyof EpochRecord)[];

/** A test image the model got wrong. */
export interface Misclassified {
  /** The example's bytes as stored (HWC, row-major; float images scaled to bytes). */
  image: Uint8Array;
  /** Its shape: [h, w, c] (c = 3 is drawn in colour), [h, w], or [features]. */
  shape: readonly number[];
  trueLabel: number;
  predicted: number;
  /** Softmax probability of `predicted`, in [0, 1], when known. */
  confidence?: number;
}
