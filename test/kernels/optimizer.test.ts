import { describe, expect, it } from 'vitest';
import { bufferFrom, readF32, storageBuffer, writeBuffer } from '../../src/gpu/buffers';
import { submitCalls } from '../../src/gpu/kernel';
import { adamAlpha, adamStep, optimizerUniform, sgdStep, writeAdamStep, writeSgdStep } from '../../src/kernels/optimizer';
import { expectClose } from '../support/compare';
import { checked, useGpu } from '../support/gpu';
import { randomF32, testRng } from '../support/random';
import { adamStateRef, adamStepRef, sgdStepRef } from '../oracle/optim';

const gpu = useGpu();

// Awkward counts: one lane, a partial workgroup, one short of 4 workgroups, a CNN-sized buffer, and
// one past 65,535 workgroups of 256, where linearGrid folds the grid into y.
const COUNTS = [1, 7, 1023, 100_003];
// Counts that divide by 4 run the optimisers' vec4 entry points, the others the scalar ones.
const FOLDED = 65_535 * 256 + 299;
const STEPS = 10;

/**
 * The error of an optimiser's parameters, in units of how far the steps moved them:
 * max_i |got_i - want_i| / sum over steps of max_i |step_i|.
 *
 * Relative error on p itself is blind here (a step of lr = 1e-3 on |p| ~ 1 is lost in the 6th digit),
 * and element-by-element relative error on the step is unfair to Adam: its step m / (sqrt(v) + eps)
 * is scale-free, so an element with a tiny gradient, or whose m has cancelled to near zero after a
 * few sign changes, still takes a step of order lr; early on sqrt(v) ~ |g| * sqrt(1 - beta2) is tiny,
 * and the step's rounding is set by the largest terms in m and v, not by its own (possibly tiny)
 * size. So the error is measured against the step size, at the tensor's scale, for every element
 * alike, tiny gradients included; it also absorbs f32 storage of p (half an ulp of p per step).
 */
function stepError(got: ArrayLike<number>, want: ArrayLike<number>, stepScale: number): number {
  let maxDiff = 0;
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got[i]! - want[i]!);
    if (!(d <= maxDiff)) maxDiff = Number.isNaN(d) ? Infinity : d;
  }
  return maxDiff / stepScale;
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}

/**
 * Gradients with a fixed per-element scale 10^-(i mod 7), like a real model's mix of busy and quiet
 * parameters: the quietest put Adam's sqrt(v) below epsilon. Element 0 always has scale 1, so even a
 * one-element tensor takes full-size steps. Magnitudes are in [0.5, 1) of the scale with random
 * signs (never near zero, so no step is lost below p's f32 resolution), and every third step
 * shrinks the whole tensor tenfold, so the moments see changing magnitudes as well as signs.
 */
function gradientsFor(next: () => number, count: number, steps: number): Float32Array[] {
  return Array.from({ length: steps }, (_, k) => {
    const s = k % 3 === 2 ? 0.1 : 1;
    const g = new Float32Array(count);
    for (let i = 0; i < count; i++) g[i] = (next() < 0.5 ? -s : s) * (0.5 + 0.5 * next()) * 10 ** -(i % 7);
    return g;
  });
}

/** The learning rate at step t (1-based): it changes every step, so a stale uniform shows. */
const lrAt = (base: number, t: number) => base / (1 + 0.1 * t);

describe('sgd', () => {
  for (const count of [...COUNTS, 1028, 100_004, FOLDED]) {
    const steps = count === FOLDED ? 2 : STEPS;
    const entry = count % 4 === 0 ? 'main_vec4' : 'main';
    it(`${count} parameters, ${steps} steps (${entry})`, async () => {
      const g = gpu();
      const { seed, next } = testRng();
      const p0 = randomF32(next, count);
      const grads = gradientsFor(next, count, steps);
      const params = bufferFrom(g, 'params', p0);
      const gradBuf = storageBuffer(g, 'grads', count * 4);
      const hyper = optimizerUniform(g);
      const call = await sgdStep(g, { count }, { params, grads: gradBuf, hyper });
      expect(call.pipeline.label.startsWith(`sgd:${entry}:`), call.pipeline.label).toBe(true);

      const want = Float64Array.from(p0);
      let stepScale = 0;
      for (let t = 1; t <= steps; t++) {
        const lr = lrAt(0.1, t);
        writeBuffer(g, gradBuf, grads[t - 1]!);
        writeSgdStep(g, hyper, { lr });
        submitCalls(g, [call]);
        const before = Float64Array.from(want);
        sgdStepRef(want, grads[t - 1]!, lr);
        stepScale += maxAbsDiff(want, before);
        if (t === 1 || t === steps) {
          const got = await checked(g, () => readF32(g, params));
          const err = stepError(got, want, stepScale);
          expect(err, `seed ${seed}, step ${t}: error ${err.toExponential(2)} of the distance moved`).toBeLessThan(1e-5);
        }
      }
    });
  }
});

describe('adam', () => {
  for (const count of [...COUNTS, 1028, 100_004, FOLDED]) {
    const steps = count === FOLDED ? 2 : STEPS;
    const entry = count % 4 === 0 ? 'main_vec4' : 'main';
    it(`${count} parameters, ${steps} steps (${entry})`, async () => {
      const g = gpu();
      const { seed, next } = testRng();
      const p0 = randomF32(next, count);
      const grads = gradientsFor(next, count, steps);
      const params = bufferFrom(g, 'params', p0);
      const gradBuf = storageBuffer(g, 'grads', count * 4);
      const m = storageBuffer(g, 'm', count * 4);
      const v = storageBuffer(g, 'v', count * 4);
      const hyper = optimizerUniform(g);
      const call = await adamStep(g, { count }, { params, grads: gradBuf, m, v, hyper });
      expect(call.pipeline.label.startsWith(`adam:${entry}:`), call.pipeline.label).toBe(true);

      const ref = adamStateRef(p0);
      let stepScale = 0;
      for (let t = 1; t <= steps; t++) {
        const lr = lrAt(0.05, t);
        writeBuffer(g, gradBuf, grads[t - 1]!);
        writeAdamStep(g, hyper, { lr, t });
        submitCalls(g, [call]);
        const before = Float64Array.from(ref.p);
        adamStepRef(ref, grads[t - 1]!, lr);
        stepScale += maxAbsDiff(ref.p, before);
        if (t === 1 || t === steps) {
          const [gotP, gotM, gotV] = await checked(g, () => Promise.all([readF32(g, params), readF32(g, m), readF32(g, v)]));
          const err = stepError(gotP, ref.p, stepScale);
          expect(err, `seed ${seed}, step ${t}: error ${err.toExponential(2)} of the distance moved`).toBeLessThan(1e-5);
          // m sums signed terms (1 - beta1) g, which can cancel to near zero (a one-element tensor
          // whose gradient changes sign): its error is measured against the terms' scale, not its own.
          const mScale = Math.max(maxAbs(ref.m), ...grads.slice(0, t).map((gt) => 0.1 * maxAbs(gt)));
          const mErr = maxAbsDiff(gotM, ref.m) / mScale;
          expect(mErr, `seed ${seed}, step ${t}, m: error ${mErr.toExponential(2)} of its terms' scale`).toBeLessThan(1e-5);
          expectClose(gotV, ref.v, `seed ${seed}, step ${t}, v`);
        }
      }
    });
  }

  it('non-default betas and epsilon reach the shader', async () => {
    const g = gpu();
    const { seed, next } = testRng();
    const count = 513;
    const [beta1, beta2, epsilon] = [0.5, 0.75, 1e-3];
    const p0 = randomF32(next, count);
    const grads = gradientsFor(next, count, 3);
    const params = bufferFrom(g, 'params', p0);
    const gradBuf = storageBuffer(g, 'grads', count * 4);
    const m = storageBuffer(g, 'm', count * 4);
    const v = storageBuffer(g, 'v', count * 4);
    const hyper = optimizerUniform(g);
    const call = await adamStep(g, { count, beta1, beta2, epsilon }, { params, grads: gradBuf, m, v, hyper });
    const ref = adamStateRef(p0);
    let stepScale = 0;
    for (let t = 1; t <= 3; t++) {
      writeBuffer(g, gradBuf, grads[t - 1]!);
      writeAdamStep(g, hyper, { lr: 0.05, t, beta1, beta2 });
      submitCalls(g, [call]);
      const before = Float64Array.from(ref.p);
      adamStepRef(ref, grads[t - 1]!, 0.05, beta1, beta2, epsilon);
      stepScale += maxAbsDiff(ref.p, before);
    }
    const err = stepError(await checked(g, () => readF32(g, params)), ref.p, stepScale);
    expect(err, `seed ${seed}: error ${err.toExponential(2)} of the distance moved`).toBeLessThan(1e-5);
  });

  it('adamAlpha is lr * sqrt(1 - beta2^t) / (1 - beta1^t) and rejects t < 1', () => {
    expect(adamAlpha(1e-3, 1)).toBeCloseTo((1e-3 * Math.sqrt(0.001)) / 0.1, 15);
    expect(adamAlpha(1, 10_000)).toBeCloseTo(1, 4);
    expect(() => adamAlpha(1e-3, 0)).toThrow();
  });
});
