import { describe, expect, it } from 'vitest';
import { ShapeError } from '../../src/errors';
import { bufferFrom, readF32, readU32, storageBuffer } from '../../src/gpu/buffers';
import { submitCalls } from '../../src/gpu/kernel';
import {
  maxPoolBackward,
  maxPoolDisjoint,
  maxPoolForward,
  maxPoolGeometry,
  maxPoolPlan,
  type MaxPoolChoice,
  type MaxPoolPass,
  type MaxPoolShape,
} from '../../src/kernels/maxpool';
import { expectClose } from '../support/compare';
import { checked, poisoned, useGpu } from '../support/gpu';
import { randomF32, testRng } from '../support/random';
import { stepUniform, writeStepUniform } from '../../src/kernels/step';
import { maxPoolBackwardRef, maxPoolForwardRef, type PoolDims } from '../oracle/conv';
import { dropoutMaskRef, dropoutRef } from '../oracle/loss';

const gpu = useGpu();

interface Case extends MaxPoolShape {
  n: number;
}

const CASES: Case[] = [
  { n: 3, h: 7, w: 9, c: 5 }, // 2x2/2 on odd sizes: the last row and column belong to no window
  { n: 2, h: 7, w: 9, c: 8 }, // the same through the vec4 paths
  { n: 2, h: 7, w: 8, c: 3, ph: 3, pw: 3, sh: 2, sw: 2 }, // overlapping windows
  { n: 2, h: 9, w: 7, c: 4, ph: 3, pw: 2, sh: 1, sw: 2 }, // overlapping down, tiled across
  { n: 1, h: 5, w: 6, c: 3, ph: 5, pw: 6 }, // one window covers the image
  { n: 2, h: 5, w: 5, c: 4, ph: 3, pw: 3 }, // cells past OH/OW, overhanging the image
  // Stride > pool: gaps between windows, and a last cell cut short by the image's edge.
  { n: 2, h: 11, w: 13, c: 12, ph: 2, pw: 3, sh: 3, sw: 4 },
  { n: 3, h: 10, w: 9, c: 6, ph: 3, pw: 2, sh: 4, sw: 3 },
  // The CNN's two pooling layers, at batch 2.
  { n: 2, h: 28, w: 28, c: 64 },
  { n: 2, h: 14, w: 14, c: 32 },
];

const name = (k: Case) => {
  const g = maxPoolGeometry(k);
  return `${k.n}x${k.h}x${k.w}x${k.c} pool ${g.ph}x${g.pw} stride ${g.sh}x${g.sw}`;
};

/** Every path `pass` can take for `k`: the default (`{}`, what the layer runs) first, then each forced choice that applies. */
function choices(k: Case, pass: MaxPoolPass): MaxPoolChoice[] {
  const all: MaxPoolChoice[] = [{}];
  for (const vec4 of [false, true]) {
    for (const disjoint of pass === 'forward' ? [undefined] : [false, true]) {
      const choice = disjoint === undefined ? { vec4 } : { vec4, disjoint };
      try {
        maxPoolPlan(k, k.n, pass, choice);
        all.push(choice);
      } catch {
        // not applicable to this shape
      }
    }
  }
  return all;
}

function expectSameIndices(got: Uint32Array, want: Uint32Array, what: string): void {
  const bad = want.findIndex((v, i) => got[i] !== v);
  expect(bad, `${what}: first arg-max mismatch at ${bad}: got ${got[bad]}, want ${want[bad]}`).toBe(-1);
}

/** Max-pooling copies values, so they must match exactly; NaN (an input NaN that came first in its window) matches NaN. */
function expectSameValues(got: Float32Array, want: Float64Array, what: string): void {
  const bad = [...want].findIndex((v, i) => got[i] !== Math.fround(v) && !(Number.isNaN(v) && Number.isNaN(got[i])));
  expect(bad, `${what}: first mismatch at ${bad}: got ${got[bad]}, want ${want[bad]}`).toBe(-1);
}

const label = (choice: MaxPoolChoice) => JSON.stringify(choice);

/** Forward against the oracle (values and arg-max), then backward from the oracle's arg-max, through every path. */
async function check(k: Case, values: (next: () => number, count: number) => Float32Array): Promise<void> {
  const g = gpu();
  const { seed, next } = testRng();
  const geo = maxPoolGeometry(k);
  const d: PoolDims = { ...geo, n: k.n };
  const inputs = k.n * k.h * k.w * k.c;
  const outputs = k.n * geo.oh * geo.ow * k.c;
  const xv = values(next, inputs);
  const x = bufferFrom(g, 'x', xv);
  const dy = randomF32(next, outputs);
  const want = maxPoolForwardRef(xv, d);
  const wantDx = maxPoolBackwardRef(dy, want.argmax, d);
  const paths: string[] = [];
  const defaults: string[] = [];

  for (const choice of choices(k, 'forward')) {
    const plan = maxPoolPlan(k, k.n, 'forward', choice);
    const what = `forward ${label(choice)} (${plan.entry}), seed ${seed}`;
    const y = poisoned(g, outputs);
    const argmax = storageBuffer(g, 'argmax', outputs * 4, new Uint32Array(outputs).fill(0xffffffff));
    const fwd = await maxPoolForward(g, k, k.n, { x, y, argmax }, 'maxpool forward', choice);
    expect(fwd.pipeline.label.startsWith(`maxpool:${plan.entry}:`), fwd.pipeline.label).toBe(true);
    const [gotY, gotArg] = await checked(g, async () => {
      submitCalls(g, [fwd]);
      return [await readF32(g, y), await readU32(g, argmax)] as const;
    });
    expectSameValues(gotY, want.y, what);
    expectSameIndices(gotArg, want.argmax, what);
    paths.push(plan.entry);
    if (Object.keys(choice).length === 0) defaults.push(plan.entry);
  }

  const dyBuf = bufferFrom(g, 'dy', dy);
  const argBuf = bufferFrom(g, 'argmax', want.argmax);
  for (const choice of choices(k, 'backward')) {
    const plan = maxPoolPlan(k, k.n, 'backward', choice);
    const dx = poisoned(g, inputs);
    const bwd = await maxPoolBackward(g, k, k.n, { dy: dyBuf, argmax: argBuf, dx }, 'maxpool grad', choice);
    expect(bwd.pipeline.label.startsWith(`maxpool:${plan.entry}:`), bwd.pipeline.label).toBe(true);
    expect(bwd.pipeline.label.includes(`"DISJOINT":${Number(plan.disjoint)}`), bwd.pipeline.label).toBe(true);
    const gotDx = await checked(g, async () => (submitCalls(g, [bwd]), readF32(g, dx)));
    expectClose(gotDx, wantDx, `backward ${label(choice)} (${plan.entry}), seed ${seed}`);
    paths.push(`${plan.entry}${plan.disjoint ? ' disjoint' : ''}`);
    if (Object.keys(choice).length === 0) defaults.push(paths.at(-1)!);
  }

  // The paths that must have run: vec4 wherever C % 4 == 0 (backward: and the windows are disjoint).
  const disjoint = maxPoolDisjoint(geo);
  const vec4 = k.c % 4 === 0;
  const expected = [
    'forward',
    ...(vec4 ? ['forward_vec4'] : []),
    'backward',
    ...(disjoint ? ['backward disjoint'] : []),
    ...(vec4 && disjoint ? ['backward_vec4 disjoint'] : []),
  ];
  expect(new Set(paths)).toEqual(new Set(expected));
  // The default plans (what the layer runs) are the vec4 ones wherever they apply.
  expect(defaults).toEqual([vec4 ? 'forward_vec4' : 'forward', vec4 && disjoint ? 'backward_vec4 disjoint' : disjoint ? 'backward disjoint' : 'backward']);
}

describe('maxPoolGeometry', () => {
  it('uses valid windows, stride defaulting to the pool size', () => {
    expect(maxPoolGeometry({ h: 28, w: 28, c: 64 })).toMatchObject({ ph: 2, pw: 2, sh: 2, sw: 2, oh: 14, ow: 14 });
    expect(maxPoolGeometry({ h: 7, w: 7, c: 1 })).toMatchObject({ oh: 3, ow: 3 });
    expect(maxPoolGeometry({ h: 7, w: 8, c: 1, ph: 3, pw: 3, sh: 2, sw: 2 })).toMatchObject({ oh: 3, ow: 3 });
    expect(maxPoolGeometry({ h: 9, w: 7, c: 1, ph: 3, pw: 2, sh: 1 })).toMatchObject({ oh: 7, ow: 3, sw: 2 });
  });

  it('throws ShapeError for a pool larger than its input', async () => {
    expect(() => maxPoolGeometry({ h: 1, w: 5, c: 3 })).toThrow(ShapeError);
    expect(() => maxPoolGeometry({ h: 1, w: 5, c: 3 })).toThrow(/2x2 pool does not fit in a 1x5 input/);
    expect(() => maxPoolGeometry({ h: 4, w: 4, c: 3, sh: 0 })).toThrow(ShapeError);
    const g = gpu();
    const b = poisoned(g, 4);
    await expect(maxPoolForward(g, { h: 3, w: 3, c: 1, ph: 4, pw: 1 }, 1, { x: b, y: b, argmax: b })).rejects.toThrow(ShapeError);
  });
});

describe('maxpool', () => {
  for (const k of CASES) {
    it(`${name(k)}: forward and backward`, () => check(k, randomF32));
  }

  // Few distinct values (none zero), so most windows hold ties: the first max in row-major order must
  // win, and overlapping windows often pick the same element, whose gradient is then the sum of theirs.
  const fewValues = (next: () => number, count: number) => randomF32(next, count).map((v) => Math.floor(2 * v) + 0.5);
  it('ties: first max in the window wins; shared arg-max sums', () => check({ n: 2, h: 9, w: 8, c: 3, ph: 3, pw: 3, sh: 2, sw: 1 }, fewValues));
  it('ties through the vec4 paths: overlapping', () => check({ n: 2, h: 9, w: 8, c: 8, ph: 3, pw: 3, sh: 2, sw: 1 }, fewValues));
  it('ties through the vec4 paths: odd sizes, stride > pool', () => check({ n: 2, h: 9, w: 11, c: 4, ph: 2, pw: 2, sh: 2, sw: 3 }, fewValues));

  it('ties: a constant image routes every gradient to each window\'s top-left', () =>
    check({ n: 1, h: 6, w: 7, c: 4, ph: 3, pw: 2, sh: 1, sw: 1 }, (_next, count) => new Float32Array(count).fill(0.5)));

  // A NaN wins its window only when it comes first (nothing compares greater than it); elsewhere it
  // loses every comparison: the oracle's rule, on every path.
  for (const k of [
    { n: 2, h: 7, w: 9, c: 4 },
    { n: 2, h: 8, w: 7, c: 5, ph: 3, pw: 2, sh: 2, sw: 1 },
  ]) {
    it(`NaN inputs: ${name(k)}`, () =>
      check(k, (next, count) => fewValues(next, count).map((v) => (next() < 0.2 ? Number.NaN : v))));
  }
});

/**
 * The vec4 kernels with the layers around the pool fused in (what the compiler does for
 * conv -> dropout -> pool in training): forward pools x ⊙ mask / (1 - rate); backward routes dy to
 * the arg-max, then applies the mask, the scale and act'(y) of the activation that produced x.
 */
describe('maxpool with a fused dropout and activation gradient', () => {
  const fusedCases: { k: Case; rate: number; act: 'relu' | 'sigmoid' | 'linear' }[] = [
    { k: { n: 2, h: 7, w: 9, c: 8 }, rate: 0.3, act: 'relu' }, // odd sizes: pixels in no window
    { k: { n: 3, h: 11, w: 13, c: 12, ph: 2, pw: 3, sh: 3, sw: 4 }, rate: 0.5, act: 'sigmoid' }, // gaps
    { k: { n: 2, h: 28, w: 28, c: 64 }, rate: 0.2, act: 'relu' }, // the CNN's first pool
    { k: { n: 2, h: 6, w: 6, c: 4 }, rate: 0, act: 'linear' }, // no dropout and no gate: the plain kernel's numbers
  ];
  for (const { k, rate, act } of fusedCases) {
    it(`${name(k)}, dropout ${rate}, ${act} gradient`, async () => {
      const g = gpu();
      const { seed, next } = testRng();
      const geo = maxPoolGeometry(k);
      const d: PoolDims = { ...geo, n: k.n };
      const inputs = k.n * k.h * k.w * k.c;
      const outputs = k.n * geo.oh * geo.ow * k.c;
      // The activation's output: ReLU's has exact zeros (and dropped elements tie with them), sigmoid's lies in (0, 1).
      const y = Float32Array.from(randomF32(next, inputs), (v) => (act === 'relu' ? Math.max(v, 0) : act === 'sigmoid' ? 1 / (1 + Math.exp(-v)) : v));
      const dy = randomF32(next, outputs);
      const stream = 3;
      const draw = { seed: Math.floor(next() * 2 ** 32), step: 41 };
      const step = stepUniform(g);
      writeStepUniform(g, step, { step: draw.step, batchStart: 0, rows: k.n, seed: draw.seed });
      const mask = dropoutMaskRef(inputs, rate, draw.seed, draw.step, stream);
      const dropped = dropoutRef(y, mask, rate);
      const want = maxPoolForwardRef(dropped, d);
      const routed = maxPoolBackwardRef(dy, want.argmax, d);
      const wantDx = dropoutRef(routed, mask, rate).map((v, i) => v * (act === 'relu' ? Number(y[i]! > 0) : act === 'sigmoid' ? y[i]! * (1 - y[i]!) : 1));

      const dropout = rate > 0 ? { dropout: { rate, stream, step } } : {};
      const out = poisoned(g, outputs);
      const argmax = storageBuffer(g, 'argmax', outputs * 4, new Uint32Array(outputs).fill(0xffffffff));
      const yBuf = bufferFrom(g, 'y', y);
      const fwd = await maxPoolForward(g, k, k.n, { x: yBuf, y: out, argmax }, 'maxpool forward', {}, dropout);
      expect(fwd.pipeline.label.startsWith('maxpool:forward_vec4:'), fwd.pipeline.label).toBe(true);
      const [gotY, gotArg] = await checked(g, async () => {
        submitCalls(g, [fwd]);
        return [await readF32(g, out), await readU32(g, argmax)] as const;
      });
      // Scaled by f32(1 / (1 - rate)) on the GPU, by 1 / (1 - rate) in the oracle: close, not equal.
      expectClose(gotY, want.y, `forward, seed ${seed}`);
      expectSameIndices(gotArg, want.argmax, `seed ${seed}`);

      const dx = poisoned(g, inputs);
      const gate = act === 'linear' ? {} : { gate: { y: yBuf, act } };
      const bwd = await maxPoolBackward(g, k, k.n, { dy: bufferFrom(g, 'dy', dy), argmax, dx }, 'maxpool grad', {}, { ...dropout, ...gate });
      expect(bwd.pipeline.label.startsWith('maxpool:backward_vec4:'), bwd.pipeline.label).toBe(true);
      expectClose(await checked(g, async () => (submitCalls(g, [bwd]), readF32(g, dx))), wantDx, `backward, seed ${seed}`);
    });
  }

  it('the scalar paths refuse to fuse', async () => {
    const g = gpu();
    const b = poisoned(g, 64);
    const step = stepUniform(g);
    await expect(maxPoolForward(g, { h: 4, w: 4, c: 4 }, 1, { x: b, y: b, argmax: b }, 'f', { vec4: false }, { dropout: { rate: 0.5, stream: 0, step } })).rejects.toThrow(/only the vec4/);
  });
});
