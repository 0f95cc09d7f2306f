import type { DataSplit } from '../data/dataset';
import type { Evaluation } from '../models/runtime';
import type { Misclassified } from '../report/types';

/**
 * The first `limit` misclassified examples of `split`, with the model's answer and its confidence,
 * from an evaluation of that split with probabilities. Float images are scaled to bytes over their
 * own range, for drawing.
 */
export function misclassified(evaluation: Evaluation, split: DataSplit, shape: readonly number[], classes: number, limit: number): Misclassified[] {
  const probs = evaluation.probabilities;
  if (!probs) return [];
  const size = split.images.length / Math.max(1, split.count);
  const out: Misclassified[] = [];
  const n = Math.min(split.count, probs.length / classes);
  for (let i = 0; i < n && out.length < limit; i++) {
    let predicted = 0;
    for (let c = 1; c < classes; c++) if (probs[i * classes + c]! > probs[i * classes + predicted]!) predicted = c;
    const trueLabel = split.labels[i]!;
    if (predicted !== trueLabel) {
      out.push({ image: imageBytes(split.images.subarray(i * size, (i + 1) * size)), shape, trueLabel, predicted, confidence: probs[i * classes + predicted]! });
    }
  }
  return out;
}

/** An example's pixels as bytes for drawing: uint8 as they are, float32 stretched from their own range to 0..255. */
export function imageBytes(image: Uint8Array | Float32Array): Uint8Array {
  if (image instanceof Uint8Array) return image;
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of image) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
  const span = hi > lo ? hi - lo : 1;
  return Uint8Array.from(image, (v) => Math.round((255 * (v - lo)) / span));
}
