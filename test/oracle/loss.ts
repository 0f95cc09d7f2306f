/**
 * Float64 CPU references for the loss, the metrics, dropout and column sums: the oracle that
 * shaders/softmax_xent.wgsl, shaders/dropout.wgsl and shaders/reduce.wgsl answer to.
 */
import { pcg4d, unitFloat } from './random';
import type { Matrix } from './dense';

export { sumRowsRef } from './dense';

/** softmax(z) per row of a [rows, classes] matrix, stable (the row max subtracted first). */
export function softmaxRef(logits: Matrix, rows: number, classes: number): Float64Array {
  const p = new Float64Array(rows * classes);
  for (let r = 0; r < rows; r++) {
    let m = -Infinity;
    for (let j = 0; j < classes; j++) m = Math.max(m, logits[r * classes + j]!);
    let s = 0;
    for (let j = 0; j < classes; j++) s += Math.exp(logits[r * classes + j]! - m);
    for (let j = 0; j < classes; j++) p[r * classes + j] = Math.exp(logits[r * classes + j]! - m) / s;
  }
  return p;
}

/** The first index of the row's maximum. */
export function argmaxRef(logits: Matrix, row: number, classes: number): number {
  let best = 0;
  for (let j = 1; j < classes; j++) if (logits[row * classes + j]! > logits[row * classes + best]!) best = j;
  return best;
}

export interface SoftmaxXentRef {
  /** Per-row loss -log softmax(z)[label], for the active rows. */
  loss: Float64Array;
  lossSum: number;
  /** dL/dlogits of the batch mean over the active rows: (softmax - onehot) / active; 0 for inactive rows. */
  grad: Float64Array;
  /** Probabilities of every row. */
  probs: Float64Array;
  /** First argmax per active row. */
  predicted: Uint32Array;
  correct: number;
}

/**
 * Softmax cross-entropy of the first `active` rows of a [rows, classes] batch with integer labels
 * (Keras' sparse categorical cross-entropy, mean over the batch).
 */
export function softmaxXentRef(logits: Matrix, labels: ArrayLike<number>, rows: number, classes: number, active = rows): SoftmaxXentRef {
  const probs = softmaxRef(logits, rows, classes);
  const loss = new Float64Array(active);
  const grad = new Float64Array(rows * classes);
  const predicted = new Uint32Array(active);
  let correct = 0;
  for (let r = 0; r < active; r++) {
    const label = labels[r]!;
    // log-sum-exp form: accurate where the probability underflows.
    let m = -Infinity;
    for (let j = 0; j < classes; j++) m = Math.max(m, logits[r * classes + j]!);
    let s = 0;
    for (let j = 0; j < classes; j++) s += Math.exp(logits[r * classes + j]! - m);
    loss[r] = Math.log(s) + m - logits[r * classes + label]!;
    for (let j = 0; j < classes; j++) grad[r * classes + j] = (probs[r * classes + j]! - (j === label ? 1 : 0)) / active;
    predicted[r] = argmaxRef(logits, r, classes);
    if (predicted[r] === label) correct++;
  }
  return { loss, lossSum: loss.reduce((a, b) => a + b, 0), grad, probs, predicted, correct };
}

/** Row-major [classes, classes] counts, row = true class, column = predicted. */
export function confusionRef(labels: ArrayLike<number>, predicted: ArrayLike<number>, classes: number, into = new Uint32Array(classes * classes)): Uint32Array {
  for (let i = 0; i < predicted.length; i++) into[labels[i]! * classes + predicted[i]!]!++;
  return into;
}

/**
 * The dropout mask, independently of the kernel's integer threshold: element i is kept iff the
 * uniform float from lane i % 4 of pcg4d(seed, step, floor(i / 4), stream) is >= rate.
 */
export function dropoutMaskRef(count: number, rate: number, seed: number, step: number, stream: number): Uint8Array {
  const keep = new Uint8Array(count);
  for (let t = 0; 4 * t < count; t++) {
    const lanes = pcg4d(seed, step, t, stream);
    for (let k = 0; k < 4 && 4 * t + k < count; k++) keep[4 * t + k] = unitFloat(lanes[k]!) >= rate ? 1 : 0;
  }
  return keep;
}

/** y = x ⊙ mask / (1 - rate). */
export function dropoutRef(x: Matrix, keep: Uint8Array, rate: number): Float64Array {
  const y = new Float64Array(keep.length);
  for (let i = 0; i < keep.length; i++) y[i] = keep[i] ? x[i]! / (1 - rate) : 0;
  return y;
}
