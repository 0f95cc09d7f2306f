import { describe, expect, it } from 'vitest';
import { ShapeError } from '../../src/errors';
import { bufferFrom, readF32, readU32, storageBuffer } from '../../src/gpu/buffers';
import { submitCalls } from '../../src/gpu/kernel';
import { maxPoolBackward, maxPoolForward, maxPoolGeometry, type MaxPoolShape } from '../../src/kernels/maxpool';
import { expectClose } from '../support/compare';
import { checked, poisoned, useGpu } from '../support/gpu';
import { randomF32, testRng } from '../support/random';
import { maxPoolBackwardRef, maxPoolForwardRef, type PoolDims } from '../oracle/conv';

const gpu = useGpu();

interface Case extends MaxPoolShape {
  n: number;
}

const CASES: Case[] = [
  { n: 3, h: 7, w: 9, c: 5 }, // 2x2/2 on odd sizes: the last row and column belong to no window
  { n: 2, h: 7, w: 8, c: 3, ph: 3, pw: 3, sh: 2, sw: 2 }, // overlapping windows
  { n: 2, h: 9, w: 7, c: 4, ph: 3, pw: 2, sh: 1, sw: 2 }, // overlapping down, tiled across
  { n: 1, h: 5, w: 6, c: 3, ph: 5, pw: 6 }, // one window covers the image
  // The CNN's two pooling layers, at batch 2.
  { n: 2, h: 28, w: 28, c: 64 },
  { n: 2, h: 14, w: 14, c: 32 },
];

const name = (k: Case) => {
  const g = maxPoolGeometry(k);
  return `${k.n}x${k.h}x${k.w}x${k.c} pool ${g.ph}x${g.pw} stride ${g.sh}x${g.sw}`;
};

function expectSameIndices(got: Uint32Array, want: Uint32Array, what: string): void {
  const bad = want.findIndex((v, i) => got[i] !== v);
  expect(bad, `${what}: first arg-max mismatch at ${bad}: got ${got[bad]}, want ${want[bad]}`).toBe(-1);
}

/** Forward against the oracle (values and arg-max), then backward from the oracle's arg-max. */
async function check(k: Case, values: (next: () => number, count: number) => Float32Array): Promise<void> {
  const g = gpu();
  const { seed, next } = testRng();
  const geo = maxPoolGeometry(k);
  const d: PoolDims = { ...geo, n: k.n };
  const inputs = k.n * k.h * k.w * k.c;
  const outputs = k.n * geo.oh * geo.ow * k.c;
  const x = values(next, inputs);
  const dy = randomF32(next, outputs);
  const want = maxPoolForwardRef(x, d);

  const y = poisoned(g, outputs);
  const argmax = storageBuffer(g, 'argmax', outputs * 4, new Uint32Array(outputs).fill(0xffffffff));
  const dx = poisoned(g, inputs);
  const fwd = await maxPoolForward(g, k, k.n, { x: bufferFrom(g, 'x', x), y, argmax });
  const [gotY, gotArg] = await checked(g, async () => {
    submitCalls(g, [fwd]);
    return [await readF32(g, y), await readU32(g, argmax)] as const;
  });
  expectClose(gotY, want.y, `forward, seed ${seed}`);
  expectSameIndices(gotArg, want.argmax, `seed ${seed}`);

  const bwd = await maxPoolBackward(g, k, k.n, { dy: bufferFrom(g, 'dy', dy), argmax: bufferFrom(g, 'argmax', want.argmax), dx });
  const gotDx = await checked(g, async () => (submitCalls(g, [bwd]), readF32(g, dx)));
  expectClose(gotDx, maxPoolBackwardRef(dy, want.argmax, d), `backward, seed ${seed}`);
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

  // Few distinct values, so most windows hold ties: the first max in row-major order must win, and
  // overlapping windows often pick the same element, whose gradient is then the sum of theirs.
  it('ties: first max in the window wins; shared arg-max sums', () =>
    check({ n: 2, h: 9, w: 8, c: 3, ph: 3, pw: 3, sh: 2, sw: 1 }, (next, count) => randomF32(next, count).map((v) => Math.floor(2 * v))));

  it('ties: a constant image routes every gradient to each window\'s top-left', () =>
    check({ n: 1, h: 6, w: 7, c: 2, ph: 3, pw: 2, sh: 1, sw: 1 }, (_next, count) => new Float32Array(count).fill(0.5)));
});
