/**
 * Float64 CPU references for the optimisers and initialisers: the oracle shaders/sgd.wgsl,
 * shaders/adam.wgsl and shaders/init.wgsl answer to. Written from the formulas (Keras' semantics),
 * not from the shaders: no f32 rounding, no precomputed constants.
 */
import { pcg4d, unitFloat } from './random';

/** One SGD step in place: p -= lr * g. */
export function sgdStepRef(p: Float64Array, g: ArrayLike<number>, lr: number): void {
  for (let i = 0; i < p.length; i++) p[i]! -= lr * g[i]!;
}

export interface AdamStateRef {
  p: Float64Array;
  m: Float64Array;
  v: Float64Array;
  /** Steps taken so far; the next step is t + 1. */
  t: number;
}

export function adamStateRef(p0: ArrayLike<number>): AdamStateRef {
  return { p: Float64Array.from(p0), m: new Float64Array(p0.length), v: new Float64Array(p0.length), t: 0 };
}

/**
 * One Keras Adam step in place (Keras 3 `Adam.update_step`, TF2 `ApplyAdam`):
 *   t += 1; m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
 *   p -= lr sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + epsilon)
 */
export function adamStepRef(s: AdamStateRef, g: ArrayLike<number>, lr: number, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-7): void {
  s.t += 1;
  const alpha = (lr * Math.sqrt(1 - beta2 ** s.t)) / (1 - beta1 ** s.t);
  for (let i = 0; i < s.p.length; i++) {
    const gi = g[i]!;
    const m = beta1 * s.m[i]! + (1 - beta1) * gi;
    const v = beta2 * s.v[i]! + (1 - beta2) * gi * gi;
    s.m[i] = m;
    s.v[i] = v;
    s.p[i]! -= (alpha * m) / (Math.sqrt(v) + epsilon);
  }
}

/** Keras' glorot_uniform from pcg4d: w[i] = (2u - 1) * sqrt(6 / (fanIn + fanOut)), u = unitFloat(pcg4d(seed, tensorId, i, 0)[0]). */
export function glorotUniformRef(spec: { seed: number; tensorId: number; fanIn: number; fanOut: number; count: number }): Float64Array {
  const limit = Math.sqrt(6 / (spec.fanIn + spec.fanOut));
  const out = new Float64Array(spec.count);
  for (let i = 0; i < spec.count; i++) out[i] = (2 * unitFloat(pcg4d(spec.seed, spec.tensorId, i, 0)[0]) - 1) * limit;
  return out;
}
