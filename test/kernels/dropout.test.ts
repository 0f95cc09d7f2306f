import { describe, expect, it } from 'vitest';
import { bufferFrom, readF32, storageBuffer } from '../../src/gpu/buffers';
import { submitCalls } from '../../src/gpu/kernel';
import { dropoutBackward, dropoutForward, dropoutInPlace, type DropoutSpec } from '../../src/kernels/dropout';
import { stepUniform, writeStepUniform } from '../../src/kernels/step';
import { UsageError } from '../../src/errors';
import { expectClose } from '../support/compare';
import { checked, poisoned, useGpu } from '../support/gpu';
import { randomF32, testRng } from '../support/random';
import { dropoutMaskRef, dropoutRef } from '../oracle/loss';

const gpu = useGpu();

/** The mask a forward pass applies, read off its output for an input of ones. */
async function gpuMask(spec: DropoutSpec, seed: number, step: number): Promise<Uint8Array> {
  const g = gpu();
  const uniform = stepUniform(g);
  writeStepUniform(g, uniform, { batchStart: 0, seed, step, rows: 0 });
  const y = poisoned(g, spec.count);
  const call = await dropoutForward(g, spec, { step: uniform, x: bufferFrom(g, 'ones', new Float32Array(spec.count).fill(1)), y });
  const out = await checked(g, async () => (submitCalls(g, [call]), readF32(g, y)));
  const scale = Math.fround(1 / (1 - spec.rate));
  const mask = new Uint8Array(spec.count);
  for (let i = 0; i < spec.count; i++) {
    if (out[i] === scale) mask[i] = 1;
    else if (out[i] !== 0) throw new Error(`element ${i} is ${out[i]}, neither 0 nor ${scale}`);
  }
  return mask;
}

function firstDifference(a: Uint8Array, b: Uint8Array): number {
  return a.findIndex((v, i) => v !== b[i]);
}

function differences(a: Uint8Array, b: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) n += Number(a[i] !== b[i]);
  return n;
}

// Not a multiple of 4 (the array<f32> path; the last hash covers 3 elements), and one that is (vec4).
const MILLIONS = [1_000_003, 1_000_004];

describe('dropout', () => {
  for (const [rate, count] of [[0.2, MILLIONS[0]!], [0.5, MILLIONS[1]!]] as const) {
    it(`mask matches the CPU oracle bit for bit and keeps 1-p of ~1e6 elements (p=${rate}, ${count} elements)`, async () => {
      const { seed: s, next } = testRng();
      const seed = Math.floor(next() * 2 ** 32);
      const step = Math.floor(next() * 1e6);
      const spec = { rate, count, stream: 3 };
      const got = await gpuMask(spec, seed, step);
      const want = dropoutMaskRef(spec.count, rate, seed, step, spec.stream);
      expect(firstDifference(got, want), `first element that differs, test seed ${s}`).toBe(-1);
      // Binomial: kept ~ N(n(1-p), n p (1-p)); allow 5 sigma.
      const kept = got.reduce((a, b) => a + b, 0);
      const sigma = Math.sqrt(spec.count * rate * (1 - rate));
      expect(Math.abs(kept - spec.count * (1 - rate)), `kept ${kept} of ${spec.count}`).toBeLessThan(5 * sigma);
    });
  }

  it('same seed and step give the same mask; another step, seed or stream a different one', async () => {
    const { next } = testRng();
    const seed = Math.floor(next() * 2 ** 32);
    const spec = { rate: 0.5, count: 4099, stream: 0 };
    const base = await gpuMask(spec, seed, 7);
    expect(firstDifference(await gpuMask(spec, seed, 7), base)).toBe(-1);
    // Independent masks at p = 0.5 disagree on about half the elements.
    const half = spec.count / 2;
    const slack = 5 * Math.sqrt(spec.count / 4);
    for (const other of [await gpuMask(spec, seed, 8), await gpuMask(spec, seed + 1, 7), await gpuMask({ ...spec, stream: 1 }, seed, 7)]) {
      expect(Math.abs(differences(other, base) - half)).toBeLessThan(slack);
    }
  });

  // 10,007 elements run the array<f32> entry points (with a 3-element tail), 10,008 the vec4 ones.
  for (const count of [10_007, 10_008]) {
    const entry = count % 4 === 0 ? 'apply_vec4' : 'apply';
    it(`forward, backward and in place apply the same mask and scale (${count} elements: ${entry})`, async () => {
      const g = gpu();
      const { seed: s, next } = testRng();
      const spec = { rate: 0.2, count, stream: 5 };
      const seed = Math.floor(next() * 2 ** 32);
      const step = 12_345;
      const uniform = stepUniform(g);
      writeStepUniform(g, uniform, { batchStart: 0, seed, step, rows: 0 });
      const x = randomF32(next, spec.count);
      const dy = randomF32(next, spec.count);
      const y = poisoned(g, spec.count);
      const dx = poisoned(g, spec.count);
      const inPlaceX = bufferFrom(g, 'x in place', x);
      const inPlaceDy = bufferFrom(g, 'dy in place', dy);
      const calls = await Promise.all([
        dropoutForward(g, spec, { step: uniform, x: bufferFrom(g, 'x', x), y }),
        dropoutBackward(g, spec, { step: uniform, dy: bufferFrom(g, 'dy', dy), dx }),
        dropoutInPlace(g, spec, { step: uniform, data: inPlaceX }),
        dropoutInPlace(g, spec, { step: uniform, data: inPlaceDy }),
      ]);
      expect(calls[0]!.pipeline.label).toMatch(new RegExp(`^dropout:${entry}:`));
      expect(calls[2]!.pipeline.label).toMatch(new RegExp(`^dropout:${entry.replace('apply', 'apply_in_place')}:`));
      expect(calls[1]!.pipeline, 'backward reuses the forward pipeline').toBe(calls[0]!.pipeline);
      await checked(g, async () => submitCalls(g, calls));

      const mask = dropoutMaskRef(spec.count, spec.rate, seed, step, spec.stream);
      const wantY = dropoutRef(x, mask, spec.rate);
      const wantDx = dropoutRef(dy, mask, spec.rate);
      expectClose(await readF32(g, y), wantY, `forward, seed ${s}`);
      expectClose(await readF32(g, dx), wantDx, `backward, seed ${s}`);
      expectClose(await readF32(g, inPlaceX), wantY, `forward in place, seed ${s}`);
      expectClose(await readF32(g, inPlaceDy), wantDx, `backward in place, seed ${s}`);
    });

    for (const act of ['relu', 'sigmoid'] as const) {
      it(`backward with a fused ${act} gate multiplies by ${act}'(y) (${count} elements: ${entry})`, async () => {
        const g = gpu();
        const { seed: s, next } = testRng();
        const spec = { rate: 0.3, count, stream: 2 };
        const uniform = stepUniform(g);
        writeStepUniform(g, uniform, { batchStart: 0, seed: 77, step: 5, rows: 0 });
        const dy = randomF32(next, count);
        // The activation's outputs: ReLU's are >= 0 with many exact zeros, sigmoid's in (0, 1).
        const y = Float32Array.from(randomF32(next, count), (v) => (act === 'relu' ? Math.max(v, 0) : 1 / (1 + Math.exp(-v))));
        const dx = poisoned(g, count);
        const call = await dropoutBackward(g, spec, { step: uniform, dy: bufferFrom(g, 'dy', dy), dx }, { y: bufferFrom(g, 'y', y), act });
        expect(call.pipeline.label).toMatch(new RegExp(`^dropout:${entry}:`));
        await checked(g, async () => submitCalls(g, [call]));
        const dropped = dropoutRef(dy, dropoutMaskRef(count, spec.rate, 77, 5, spec.stream), spec.rate);
        const want = Float64Array.from(dropped, (v, i) => v * (act === 'relu' ? Number(y[i]! > 0) : y[i]! * (1 - y[i]!)));
        expectClose(await readF32(g, dx), want, `seed ${s}`);
      });
    }
  }

  it('rate 0 is the identity; rates outside [0, 1) are refused', async () => {
    const g = gpu();
    const { seed: s, next } = testRng();
    const x = randomF32(next, 1001);
    const uniform = stepUniform(g);
    writeStepUniform(g, uniform, { batchStart: 0, seed: 1, step: 2, rows: 0 });
    const y = poisoned(g, x.length);
    const call = await dropoutForward(g, { rate: 0, count: x.length, stream: 0 }, { step: uniform, x: bufferFrom(g, 'x', x), y });
    await checked(g, async () => submitCalls(g, [call]));
    expect(await readF32(g, y), `seed ${s}`).toEqual(x);
    const any = storageBuffer(g, 'any', 16);
    for (const rate of [1, -0.1, Number.NaN]) {
      expect(() => dropoutForward(g, { rate, count: 4, stream: 0 }, { step: uniform, x: any, y: any })).toThrow(UsageError);
    }
  });
});
