import { describe, expect, it } from 'vitest';
import { readF32 } from '../../src/gpu/buffers';
import { submitCalls } from '../../src/gpu/kernel';
import { fill, glorotLimit, glorotUniform, kerasFans } from '../../src/kernels/init';
import { checked, poisoned, useGpu } from '../support/gpu';
import { testRng } from '../support/random';
import { glorotUniformRef } from '../oracle/optim';

const gpu = useGpu();

/** A random u32 seed from the test's rng (reported on failure, replayable with WGML_TEST_SEED). */
const u32 = (next: () => number) => Math.floor(next() * 2 ** 32) >>> 0;

/** Element-by-element relative error: each weight is an independent draw, so none may be off. */
function maxElementError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const e = Math.abs(got[i]! - want[i]!) / Math.max(Math.abs(want[i]!), 1e-30);
    if (!(e <= worst)) worst = Number.isNaN(e) ? Infinity : e;
  }
  return worst;
}

describe('glorot_uniform', () => {
  // [fanIn, fanOut, count]: dense layers of the seed models, a conv kernel (HWIO 3x3x1x64), awkward
  // small counts, and one past 65,535 workgroups of 256 (linearGrid's fold into y).
  const CASES: [number, number, number][] = [
    [3, 4, 1],
    [5, 3, 7],
    [31, 33, 1023],
    [9, 576, 640 - 64],
    [784, 128, 100_352],
    [4096, 4096, 65_535 * 256 + 299],
  ];
  for (const [fanIn, fanOut, count] of CASES) {
    it(`${count} weights, fans ${fanIn}/${fanOut}, equal the pcg4d oracle`, async () => {
      const g = gpu();
      const { seed, next } = testRng();
      const spec = { seed: u32(next), tensorId: u32(next) % 64, fanIn, fanOut, count };
      const w = poisoned(g, count);
      const call = await glorotUniform(g, spec, w);
      const got = await checked(g, async () => (submitCalls(g, [call]), readF32(g, w)));
      const err = maxElementError(got, glorotUniformRef(spec));
      expect(err, `seed ${seed} (init seed ${spec.seed}, tensor ${spec.tensorId}): element error ${err.toExponential(2)}`).toBeLessThan(1e-6);

      const limit = Math.fround(glorotLimit(fanIn, fanOut));
      let sum = 0;
      let sumSq = 0;
      for (let i = 0; i < count; i++) {
        const x = got[i]!;
        if (!(x >= -limit && x <= limit)) expect.fail(`seed ${seed}: w[${i}] = ${x} outside [-${limit}, ${limit}]`);
        sum += x;
        sumSq += x * x;
      }
      if (count >= 100_000) {
        // U(-L, L): mean 0 with standard error L / sqrt(3n); variance L^2/3, whose estimate has
        // relative standard error sqrt(4/5 / n). Allow five standard errors.
        const mean = sum / count;
        const variance = sumSq / count - mean * mean;
        expect(Math.abs(mean), `seed ${seed}: mean ${mean}`).toBeLessThan((5 * limit) / Math.sqrt(3 * count));
        expect(Math.abs(variance / (limit * limit / 3) - 1), `seed ${seed}: variance ${variance}`).toBeLessThan(5 * Math.sqrt(0.8 / count));
      }
    });
  }

  it('same seed and tensor give the same values; another tensor id or seed gives others', async () => {
    const g = gpu();
    const { seed, next } = testRng();
    const count = 4099;
    const base = { seed: u32(next), tensorId: 3, fanIn: 100, fanOut: 50, count };
    const variants = [base, base, { ...base, tensorId: 4 }, { ...base, seed: (base.seed + 1) >>> 0 }];
    const bufs = variants.map(() => poisoned(g, count));
    const calls = await Promise.all(variants.map((v, i) => glorotUniform(g, v, bufs[i]!)));
    const [a, b, c, d] = await checked(g, async () => (submitCalls(g, calls), Promise.all(bufs.map((x) => readF32(g, x)))));
    expect(Buffer.from(b!.buffer).equals(Buffer.from(a!.buffer)), `seed ${seed}: same seed, same tensor`).toBe(true);
    // Independent draws of 2^24 levels: a handful of coincidences at most.
    const same = (x: Float32Array, y: Float32Array) => x.reduce((n, v, i) => n + Number(v === y[i]), 0);
    expect(same(a!, c!), `seed ${seed}: another tensor id`).toBeLessThan(5);
    expect(same(a!, d!), `seed ${seed}: another seed`).toBeLessThan(5);
  });

  it('writes only its range: at an element offset, and through a binding range', async () => {
    const g = gpu();
    const { seed, next } = testRng();
    const [offset, count, total] = [13, 1000, 1100];
    const spec = { seed: u32(next), tensorId: 7, fanIn: 20, fanOut: 30, count };
    const want = glorotUniformRef(spec);

    const whole = poisoned(g, total);
    const atOffset = await glorotUniform(g, { ...spec, offset }, whole);
    // A binding starting at byte 256 (the storage offset alignment), then element offset 13 in it.
    const ranged = poisoned(g, total + 64);
    const throughRange = await glorotUniform(g, { ...spec, offset }, { buffer: ranged, offset: 256, size: total * 4 });
    const [got, gotRanged] = await checked(g, async () => (submitCalls(g, [atOffset, throughRange]), Promise.all([readF32(g, whole), readF32(g, ranged)])));

    for (const [buf, start] of [[got!, offset], [gotRanged!, 64 + offset]] as const) {
      expect(maxElementError(buf.subarray(start, start + count), want), `seed ${seed}`).toBeLessThan(1e-6);
      expect([...buf.subarray(0, start), ...buf.subarray(start + count)].every(Number.isNaN), `seed ${seed}: wrote outside its range`).toBe(true);
    }
    await expect(glorotUniform(g, { ...spec, offset: total - count + 1 }, whole)).rejects.toThrow(/do not fit/);
  });
});

describe('fill', () => {
  it('zeros (biases) and a constant, only in their ranges, any count', async () => {
    const g = gpu();
    const buf = poisoned(g, 300);
    const calls = await Promise.all([fill(g, { count: 1, offset: 0 }, buf), fill(g, { count: 257, offset: 5 }, buf), fill(g, { count: 7, offset: 290, value: 1.5 }, buf)]);
    const got = await checked(g, async () => (submitCalls(g, calls), readF32(g, buf)));
    const want = Array.from({ length: 300 }, (_, i) => (i < 1 || (i >= 5 && i < 262) ? 0 : i >= 290 && i < 297 ? 1.5 : NaN));
    expect(Array.from(got)).toEqual(want);
  });
});

describe('kerasFans', () => {
  it("follows Keras' _compute_fans", () => {
    expect(kerasFans([784, 128])).toEqual({ fanIn: 784, fanOut: 128 });
    expect(kerasFans([3, 3, 1, 64])).toEqual({ fanIn: 9, fanOut: 576 });
    expect(kerasFans([3, 3, 64, 32])).toEqual({ fanIn: 576, fanOut: 288 });
    expect(kerasFans([10])).toEqual({ fanIn: 10, fanOut: 10 });
    expect(glorotLimit(784, 128)).toBeCloseTo(Math.sqrt(6 / 912), 15);
  });
});
