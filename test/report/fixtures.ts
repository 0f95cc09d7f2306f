/** Shared test data: a history shaped like a real run, and the report's confusion matrix. */
import type { EpochRecord as HistoryRecord, Misclassified } from '../../src/report/types';

export function makeHistory(epochs: number): HistoryRecord[] {
  return Array.from({ length: epochs }, (_, i) => ({
    epoch: i + 1,
    loss: 0.6 * Math.exp(-0.3 * i) + 0.1,
    accuracy: 0.8 + 0.15 * (1 - Math.exp(-0.3 * i)),
    valLoss: 0.5 * Math.exp(-0.25 * i) + 0.2,
    valAccuracy: 0.82 + 0.1 * (1 - Math.exp(-0.3 * i)),
    seconds: 12.5 + i / 7,
    imagesPerSecond: 60000 / (12.5 + i / 7),
  }));
}

/**
 * The one-hidden model's test confusion matrix from the report (spec, models.md). Row 0 is
 * illegible there; this one is made up to sum to 1,000 like the others.
 */
export const REPORT_CONFUSION = new Uint32Array([
  851, 2, 15, 30, 5, 1, 88, 0, 8, 0,
  2, 964, 1, 22, 7, 0, 4, 0, 0, 0,
  25, 3, 693, 12, 197, 3, 59, 0, 8, 0,
  35, 13, 14, 864, 44, 1, 23, 0, 6, 0,
  1, 1, 72, 28, 836, 0, 55, 0, 6, 1,
  1, 0, 0, 1, 0, 915, 0, 51, 4, 28,
  187, 5, 102, 28, 145, 3, 514, 0, 16, 0,
  0, 0, 0, 0, 0, 29, 0, 937, 2, 32,
  4, 0, 8, 5, 6, 8, 9, 6, 953, 1,
  0, 0, 0, 1, 0, 19, 1, 40, 2, 937,
]);

/** `count` 28x28 images with a different gradient each, and labels that disagree. */
export function makeMisclassified(count: number): Misclassified[] {
  return Array.from({ length: count }, (_, k) => ({
    image: Uint8Array.from({ length: 784 }, (_, p) => ((p % 28) * 9 + k * 13) % 256),
    shape: [28, 28, 1],
    trueLabel: k % 10,
    predicted: (k + 3) % 10,
    confidence: 0.5 + (k % 5) / 10,
  }));
}
