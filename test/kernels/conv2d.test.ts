import { eightLaneSubgroups } from '../../src/gpu/device';
import { describe, expect, it } from 'vitest';
import { ShapeError } from '../../src/errors';
import type { Gpu } from '../../src/gpu/device';
import { bufferFrom, readF32 } from '../../src/gpu/buffers';
import { submitCalls, type KernelCall } from '../../src/gpu/kernel';
import type { Activation } from '../../src/kernels/activation';
import {
  conv2dBackwardFilter,
  conv2dBackwardInput,
  conv2dForward,
  conv2dGeometry,
  conv2dLaunch,
  conv2dPlan,
  type Conv2dGeometry,
  type Conv2dPlanChoice,
  type Conv2dPadding,
  type Conv2dShape,
} from '../../src/kernels/conv2d';
import { expectClose } from '../support/compare';
import { checked, poisoned, useGpu } from '../support/gpu';
import { randomF32, testRng } from '../support/random';
import { TILES } from '../../src/kernels/tile';
import { conv2dBackwardFilterRef, conv2dBackwardInputRef, conv2dForwardRef, type ConvDims } from '../oracle/conv';
import { activateGradRef, activateRef } from '../oracle/dense';

const gpu = useGpu();

interface Case extends Conv2dShape {
  n: number;
  stride: number;
  padding: Conv2dPadding;
}

const c = (n: number, h: number, w: number, cin: number, kh: number, kw: number, cout: number, stride: number, padding: Conv2dPadding): Case =>
  ({ n, h, w, cin, kh, kw, cout, stride, padding });

// Awkward sizes: channel and pixel counts that are not multiples of the 8x8 register block or of a
// workgroup, odd and even kernels (even ones pad asymmetrically under 'same'), strides 1 and 2.
const CASES: Case[] = [
  c(3, 5, 7, 13, 3, 3, 6, 1, 'same'),
  c(3, 5, 7, 13, 3, 3, 17, 2, 'same'),
  c(3, 5, 7, 13, 1, 1, 17, 1, 'valid'),
  c(3, 5, 7, 13, 5, 5, 6, 1, 'same'),
  c(3, 5, 7, 13, 5, 5, 17, 2, 'valid'),
  c(3, 5, 7, 13, 2, 3, 6, 2, 'valid'),
  c(3, 5, 7, 13, 2, 3, 17, 2, 'same'),
  c(1, 4, 4, 2, 5, 5, 3, 2, 'same'), // kernel larger than the image; pads 1 before, 2 after
  c(2, 6, 5, 3, 1, 1, 4, 2, 'valid'), // 1x1 stride 2: input pixels no output reads
  // cin a multiple of 8: the filter gradient's one-tap-per-block path, with stride 2 and uneven padding.
  c(2, 7, 7, 8, 4, 3, 5, 2, 'same'), // pads 1 above, 2 below, 1 left, 1 right
  c(1, 9, 8, 16, 5, 4, 9, 2, 'valid'),
  // The CNN's two layers, at batch 2.
  c(2, 28, 28, 1, 3, 3, 64, 1, 'same'),
  c(2, 14, 14, 64, 3, 3, 32, 1, 'same'),
];

type Fwd = { kind: 'none' } | { kind: 'bias-act'; bias: boolean; act: Activation };
type Bwd = { kind: 'none' } | { kind: 'gate'; act: Activation };
const FWD: Fwd[] = [
  { kind: 'bias-act', bias: true, act: 'relu' },
  { kind: 'bias-act', bias: true, act: 'sigmoid' },
  { kind: 'none' },
  { kind: 'bias-act', bias: true, act: 'linear' },
  { kind: 'bias-act', bias: false, act: 'relu' },
];
const BWD: Bwd[] = [{ kind: 'none' }, { kind: 'gate', act: 'relu' }, { kind: 'gate', act: 'sigmoid' }, { kind: 'gate', act: 'linear' }];

const name = (k: Case) => `${k.n}x${k.h}x${k.w}x${k.cin} * ${k.kh}x${k.kw}x${k.cout} stride ${k.stride} ${k.padding}`;
const fwdName = (e: Fwd) => (e.kind === 'none' ? 'no epilogue' : `${e.bias ? 'bias+' : ''}${e.act}`);
const bwdName = (e: Bwd) => (e.kind === 'none' ? 'no gate' : `gate ${e.act}`);
const dims = (g: Conv2dGeometry, n: number): ConvDims => ({ ...g, n });

// Outputs get this many poisoned elements past their end, which must stay NaN: nothing writes past the tensor.
const GUARD = 7;

async function run(g: Gpu, call: KernelCall, out: GPUBuffer, count: number): Promise<Float32Array> {
  const got = await checked(g, async () => (submitCalls(g, [call]), readF32(g, out)));
  expect(got.subarray(count).every(Number.isNaN), 'elements past the end of the output were written').toBe(true);
  return got.subarray(0, count);
}

// Each check returns the call it ran, so tests can assert which pipeline that was.
async function checkForward(k: Case, e: Fwd, choice: Conv2dPlanChoice = {}): Promise<KernelCall> {
  const g = gpu();
  const { seed, next } = testRng();
  const geo = conv2dGeometry(k);
  const x = randomF32(next, k.n * k.h * k.w * k.cin);
  const w = randomF32(next, k.kh * k.kw * k.cin * k.cout);
  const bias = randomF32(next, k.cout);
  const count = k.n * geo.oh * geo.ow * k.cout;
  const y = poisoned(g, count + GUARD);
  const useBias = e.kind === 'bias-act' && e.bias;
  const call = await conv2dForward(
    g, k, k.n, { x: bufferFrom(g, 'x', x), w: bufferFrom(g, 'w', w), y },
    e.kind === 'none' ? e : { kind: 'bias-act', act: e.act, ...(useBias ? { bias: bufferFrom(g, 'bias', bias) } : {}) },
    undefined, choice,
  );
  const want = conv2dForwardRef(x, w, useBias ? bias : null, dims(geo, k.n), e.kind === 'none' ? 'linear' : e.act);
  expectClose(await run(g, call, y, count), want, `seed ${seed}`);
  return call;
}

async function checkBackwardInput(k: Case, e: Bwd, choice: Conv2dPlanChoice = {}): Promise<KernelCall> {
  const g = gpu();
  const { seed, next } = testRng();
  const geo = conv2dGeometry(k);
  const count = k.n * k.h * k.w * k.cin;
  const dy = randomF32(next, k.n * geo.oh * geo.ow * k.cout);
  const w = randomF32(next, k.kh * k.kw * k.cin * k.cout);
  // The previous layer's activation outputs, in the activation's range (ReLU's include exact zeros).
  const yPrev = e.kind === 'gate' ? randomF32(next, count).map((v) => activateRef(3 * v, e.act)) : null;
  const dx = poisoned(g, count + GUARD);
  const call = await conv2dBackwardInput(
    g, k, k.n, { dy: bufferFrom(g, 'dy', dy), w: bufferFrom(g, 'w', w), dx },
    e.kind === 'gate' ? { kind: 'gate', act: e.act, y: bufferFrom(g, 'y', yPrev!) } : e,
    undefined, choice,
  );
  const want = conv2dBackwardInputRef(dy, w, dims(geo, k.n));
  if (e.kind === 'gate') want.forEach((v, i) => (want[i] = v * activateGradRef(yPrev![i]!, e.act)));
  expectClose(await run(g, call, dx, count), want, `seed ${seed}`);
  return call;
}

async function checkBackwardFilter(k: Case, choice: Conv2dPlanChoice = {}): Promise<KernelCall> {
  const g = gpu();
  const { seed, next } = testRng();
  const geo = conv2dGeometry(k);
  const x = randomF32(next, k.n * k.h * k.w * k.cin);
  const dy = randomF32(next, k.n * geo.oh * geo.ow * k.cout);
  const count = k.kh * k.kw * k.cin * k.cout;
  const dw = poisoned(g, count + GUARD);
  const call = await conv2dBackwardFilter(g, k, k.n, { x: bufferFrom(g, 'x', x), dy: bufferFrom(g, 'dy', dy), dw }, undefined, choice);
  expectClose(await run(g, call, dw, count), conv2dBackwardFilterRef(x, dy, dims(geo, k.n)), `seed ${seed}`);
  return call;
}

/** Asserts that `call` ran `entry` of `shader` (pipeline labels start with shader:entry:). */
function expectEntry(call: KernelCall, shader: string, entry: string): void {
  expect(call.pipeline.label.startsWith(`${shader}:${entry}:`), call.pipeline.label).toBe(true);
}

describe('conv2dGeometry', () => {
  // Expected values worked by hand from TensorFlow's rules (and checked against Keras' output shapes).
  const table: [Conv2dShape, Partial<Conv2dGeometry>][] = [
    [{ h: 28, w: 28, cin: 1, kh: 3, kw: 3, cout: 64, padding: 'same' }, { oh: 28, ow: 28, padTop: 1, padBottom: 1, padLeft: 1, padRight: 1 }],
    [{ h: 5, w: 7, cin: 1, kh: 3, kw: 3, cout: 1, stride: 2, padding: 'same' }, { oh: 3, ow: 4, padTop: 1, padBottom: 1, padLeft: 1, padRight: 1 }],
    [{ h: 6, w: 6, cin: 1, kh: 3, kw: 3, cout: 1, stride: 2, padding: 'same' }, { oh: 3, ow: 3, padTop: 0, padBottom: 1, padLeft: 0, padRight: 1 }],
    [{ h: 4, w: 4, cin: 1, kh: 5, kw: 5, cout: 1, stride: 2, padding: 'same' }, { oh: 2, ow: 2, padTop: 1, padBottom: 2, padLeft: 1, padRight: 2 }],
    [{ h: 5, w: 7, cin: 1, kh: 2, kw: 3, cout: 1, stride: 1, padding: 'same' }, { oh: 5, ow: 7, padTop: 0, padBottom: 1, padLeft: 1, padRight: 1 }],
    [{ h: 5, w: 7, cin: 1, kh: 2, kw: 3, cout: 1, stride: 2, padding: 'valid' }, { oh: 2, ow: 3, padTop: 0, padBottom: 0, padLeft: 0, padRight: 0 }],
    [{ h: 5, w: 7, cin: 1, kh: 5, kw: 5, cout: 1 }, { oh: 1, ow: 3, stride: 1, padding: 'valid' }],
  ];
  for (const [shape, want] of table) {
    it(`${shape.h}x${shape.w} * ${shape.kh}x${shape.kw} stride ${shape.stride ?? 1} ${shape.padding ?? 'valid'}`, () => {
      expect(conv2dGeometry(shape)).toMatchObject(want);
    });
  }

  it('throws ShapeError for shapes that cannot work', () => {
    expect(() => conv2dGeometry({ h: 2, w: 9, cin: 1, kh: 3, kw: 3, cout: 1, padding: 'valid' })).toThrow(ShapeError);
    expect(() => conv2dGeometry({ h: 2, w: 9, cin: 1, kh: 3, kw: 3, cout: 1, padding: 'valid' })).toThrow(/3x3 kernel does not fit in a 2x9 input/);
    expect(() => conv2dGeometry({ h: 8, w: 8, cin: 0, kh: 3, kw: 3, cout: 1 })).toThrow(ShapeError);
    expect(() => conv2dGeometry({ h: 8, w: 8, cin: 1, kh: 3, kw: 3, cout: 1, stride: 1.5 })).toThrow(ShapeError);
    // 'same' accepts a kernel larger than the image.
    expect(conv2dGeometry({ h: 2, w: 2, cin: 1, kh: 3, kw: 3, cout: 1, padding: 'same' })).toMatchObject({ oh: 2, ow: 2 });
  });
});

describe('conv2dLaunch', () => {
  // Every 8x8 block of outputs gets exactly one invocation's worth of lanes (the shader skips the rest).
  const covers = (rows: number, cols: number) => {
    const { wgX, wgY, workgroups: [x, y, z] } = conv2dLaunch(rows, cols);
    expect(wgX * wgY, `${rows}x${cols}: lanes`).toBeLessThanOrEqual(64);
    expect(Math.max(x, y, z), `${rows}x${cols}: per dimension`).toBeLessThanOrEqual(65535);
    expect(x * wgX * 8, `${rows}x${cols}: columns`).toBeGreaterThanOrEqual(cols);
    expect(y * z * wgY * 8, `${rows}x${cols}: rows`).toBeGreaterThanOrEqual(rows);
    return { wgX, wgY, workgroups: [x, y, z] };
  };

  it('fits lanes to narrow layers, keeps small dispatches spread, folds huge ones into z', () => {
    expect(covers(64 * 28 * 28, 64)).toMatchObject({ wgX: 8, wgY: 8 });
    expect(covers(64 * 28 * 28, 1)).toMatchObject({ wgX: 1, wgY: 64 }); // one input channel: no idle column lanes
    expect(covers(3 * 3 * 64, 32)).toMatchObject({ wgX: 4, wgY: 2, workgroups: [1, 36, 1] }); // conv2's filter gradient
    expect(covers(10_000 * 28 * 28, 64).workgroups[2]).toBeGreaterThan(1);
    for (const [rows, cols] of [[1, 1], [7, 9], [9, 64], [105, 17], [1_000_003, 3]] as const) covers(rows, cols);
  });
});

describe('conv2d oracle', () => {
  // The backward references are the adjoints of the forward one: <conv(x), dy> = <x, dx(dy)> = <w, dw(x, dy)>.
  it('backward references are adjoints of the forward reference', () => {
    const { seed, next } = testRng();
    for (const k of CASES.slice(0, 9)) {
      const d = dims(conv2dGeometry(k), k.n);
      const x = randomF32(next, k.n * k.h * k.w * k.cin);
      const w = randomF32(next, k.kh * k.kw * k.cin * k.cout);
      const dy = randomF32(next, k.n * d.oh * d.ow * k.cout);
      const dot = (p: ArrayLike<number>, q: ArrayLike<number>) => Array.from(p).reduce((s, v, i) => s + v * q[i]!, 0);
      const yDy = dot(conv2dForwardRef(x, w, null, d), dy);
      expect(dot(x, conv2dBackwardInputRef(dy, w, d)), `${name(k)}, seed ${seed}`).toBeCloseTo(yDy, 9);
      expect(dot(w, conv2dBackwardFilterRef(x, dy, d)), `${name(k)}, seed ${seed}`).toBeCloseTo(yDy, 9);
    }
  });
});

describe('conv2d', () => {
  CASES.forEach((k, i) => {
    const fwd = FWD[i % FWD.length]!;
    const bwd = BWD[i % BWD.length]!;
    it(`${name(k)}: forward, ${fwdName(fwd)}`, () => checkForward(k, fwd));
    it(`${name(k)}: backward_input, ${bwdName(bwd)}`, () => checkBackwardInput(k, bwd));
    it(`${name(k)}: backward_filter`, () => checkBackwardFilter(k));
  });

  // Every epilogue on one shape (stride 2, asymmetric 'same' padding).
  const k = CASES[6]!;
  for (const e of FWD) it(`${name(k)}: forward, ${fwdName(e)}`, () => checkForward(k, e));
  for (const e of BWD) it(`${name(k)}: backward_input, ${bwdName(e)}`, () => checkBackwardInput(k, e));

  // CASES run whatever conv2dPlan picks: the subgroup paths where cout % 4 == 0 (when the device
  // has 8-lane subgroups), the 8x8 blocks elsewhere. Force the 8x8 blocks where cout % 4 == 0 too,
  // so that the fallback stays tested on a device with subgroups.
  for (const k of CASES.filter((k) => k.cout % 4 === 0)) {
    const off = { subgroups: false };
    it(`${name(k)}: 8x8 fallback: forward, backward_input, backward_filter`, async () => {
      expectEntry(await checkForward(k, FWD[0]!, off), 'conv2d', 'forward');
      expectEntry(await checkBackwardInput(k, BWD[1]!, off), 'conv2d', 'backward_input');
      expectEntry(await checkBackwardFilter(k, off), 'conv2d', 'backward_filter');
    });
  }

  it('throws ShapeError before compiling anything', async () => {
    const g = gpu();
    const b = poisoned(g, 4);
    await expect(conv2dForward(g, { h: 2, w: 2, cin: 1, kh: 3, kw: 3, cout: 1 }, 1, { x: b, w: b, y: b })).rejects.toThrow(ShapeError);
    await expect(conv2dBackwardFilter(g, { h: 4, w: 4, cin: 1, kh: 3, kw: 3, cout: 1 }, 0, { x: b, dy: b, dw: b })).rejects.toThrow(ShapeError);
  });
});

// Aligned channel counts (cin, cout % 4 == 0) at awkward sizes for the subgroup entry points: pixel
// counts that leave partial row blocks, cout and cin below 32 (partial column blocks, lanes with
// clamped columns) and above 32 (two column blocks), strides 1 and 2 with asymmetric padding, and
// cin = 12, which the filter's one-tap blocks cannot take (it falls back to 8x8).
const SG_CASES: Case[] = [
  c(3, 5, 7, 12, 3, 3, 20, 1, 'same'),
  c(2, 7, 7, 16, 4, 3, 36, 2, 'same'),
  c(1, 9, 8, 32, 5, 4, 8, 2, 'valid'),
  c(2, 6, 5, 40, 1, 1, 4, 2, 'valid'), // 1x1 stride 2: input pixels no output reads; cin 40: two column blocks in backward_input
  c(3, 14, 14, 64, 3, 3, 32, 1, 'same'), // the CNN's second layer
];

describe('conv2d subgroup path', () => {
  const usable = () => eightLaneSubgroups(gpu());

  // 'channels': the vec4-along-cin entry points; 'flat': the flattened-reduction ones; '8x8'.
  const kindOf = (p: ReturnType<typeof conv2dPlan>) => (p.kind === 'block8x8' ? '8x8' : p.kind === 'tiled' ? 'tiled' : p.flat ? 'flat' : 'channels');

  it('is chosen for both CNN layers where it can run (when the device has 8-lane subgroups)', () => {
    const conv2 = conv2dGeometry({ h: 14, w: 14, cin: 64, kh: 3, kw: 3, cout: 32, padding: 'same' });
    const conv1 = conv2dGeometry({ h: 28, w: 28, cin: 1, kh: 3, kw: 3, cout: 64, padding: 'same' });
    const sg = (kind: string) => (usable() ? kind : '8x8');
    for (const pass of ['forward', 'backward_input', 'backward_filter'] as const) {
      expect(kindOf(conv2dPlan(gpu(), pass, conv2, 64)), pass).toBe(sg('channels'));
      expect(kindOf(conv2dPlan(gpu(), pass, conv2, 64, { subgroups: false })), pass).toBe('8x8');
      expect(kindOf(conv2dPlan(gpu(), pass, conv1, 64, { subgroups: false })), pass).toBe('8x8');
      expect(() => conv2dPlan(gpu(), pass, conv1, 64, { flat: false }), pass).toThrow(/subgroup path cannot run/);
    }
    // cin = 1: forward and the filter gradient flatten the reduction; backward_input has no subgroup path.
    expect(kindOf(conv2dPlan(gpu(), 'forward', conv1, 64))).toBe(sg('flat'));
    expect(kindOf(conv2dPlan(gpu(), 'backward_filter', conv1, 64))).toBe(sg('flat'));
    expect(kindOf(conv2dPlan(gpu(), 'backward_input', conv1, 64))).toBe('8x8');
    expect(() => conv2dPlan(gpu(), 'backward_input', conv1, 64, { subgroups: true })).toThrow(/subgroup path cannot run/);
    if (usable()) expect(conv2dPlan(gpu(), 'backward_filter', conv1, 64)).toMatchObject({ sgRows: 12, sgWg: 8 }); // 9 taps: one block
    // cin 12: forward and backward_input take the channel path; no one-tap block size divides 12, so
    // the filter takes the 8x8 blocks (the flat path can, if asked).
    const cin12 = conv2dGeometry(SG_CASES[0]!);
    expect(kindOf(conv2dPlan(gpu(), 'forward', cin12, 3))).toBe(sg('channels'));
    expect(kindOf(conv2dPlan(gpu(), 'backward_filter', cin12, 3))).toBe('8x8');
    if (usable()) expect(kindOf(conv2dPlan(gpu(), 'backward_filter', cin12, 3, { flat: true }))).toBe('flat');
    // cout % 4 != 0: no subgroup path at all.
    const cout6 = conv2dGeometry(CASES[0]!);
    for (const pass of ['forward', 'backward_filter'] as const) {
      expect(kindOf(conv2dPlan(gpu(), pass, cout6, 3)), pass).toBe('8x8');
      expect(() => conv2dPlan(gpu(), pass, cout6, 3, { flat: true }), pass).toThrow(/flat subgroup path cannot run/);
    }
  });

  for (const k of SG_CASES) {
    for (const sgRows of [8, 16]) {
      for (const sgWg of [8, 64]) {
        const choice = { subgroups: true, sgRows, sgWg };
        it(`${name(k)}: forward and backward_input, ${sgRows}-row blocks, ${sgWg}-lane workgroups`, async (ctx) => {
          if (!usable()) ctx.skip('no 8-lane subgroups on this device');
          expectEntry(await checkForward(k, FWD[(sgRows + sgWg) % FWD.length]!, choice), 'conv2d_subgroups', 'forward_sg');
          expectEntry(await checkBackwardInput(k, BWD[(sgRows / 8 + sgWg) % BWD.length]!, choice), 'conv2d_subgroups', 'backward_input_sg');
        });
      }
    }
    for (const sgRows of [8, 16, 32].filter((r) => k.cin % r === 0)) {
      it(`${name(k)}: backward_filter, ${sgRows}-row blocks`, async (ctx) => {
        if (!usable()) ctx.skip('no 8-lane subgroups on this device');
        expectEntry(await checkBackwardFilter(k, { subgroups: true, sgRows }), 'conv2d_subgroups', 'backward_filter_sg');
      });
    }
    it(`${name(k)}: default plan, all three passes`, async () => {
      await checkForward(k, FWD[0]!);
      await checkBackwardInput(k, BWD[1]!);
      await checkBackwardFilter(k);
    });
  }
});

// The flat entry points (forward_flat_sg, backward_filter_flat_sg: any cin, cout % 4 == 0) at cin 1,
// 2, 3 and, forced, a multiple of 4; odd sizes; strides 1 and 2; 'same' and 'valid'; cout a multiple
// of 4 but not of 32 (lanes with clamped columns; 36: two column blocks); reductions that leave a
// partial last 4-step (9, 27 taps) and filter row blocks with rows past the end (50 taps: 5 x 12).
const FLAT_CASES: Case[] = [
  c(3, 5, 7, 1, 3, 3, 12, 1, 'same'),
  c(2, 9, 7, 2, 5, 5, 36, 2, 'same'),
  c(3, 7, 5, 3, 3, 3, 20, 2, 'valid'),
  c(2, 6, 5, 3, 2, 3, 4, 1, 'valid'),
  c(2, 7, 9, 8, 3, 3, 12, 1, 'same'),
  c(3, 28, 28, 1, 3, 3, 64, 1, 'same'), // the CNN's first layer
];

describe('conv2d flat subgroup path', () => {
  const usable = () => eightLaneSubgroups(gpu());

  for (const k of FLAT_CASES) {
    for (const [sgRows, sgWg] of [[8, 8], [16, 64]] as const) {
      it(`${name(k)}: forward, ${sgRows}-row blocks, ${sgWg}-lane workgroups`, async (ctx) => {
        if (!usable()) ctx.skip('no 8-lane subgroups on this device');
        const e = FWD[(sgRows + k.cin) % FWD.length]!;
        expectEntry(await checkForward(k, e, { flat: true, sgRows, sgWg }), 'conv2d_subgroups', 'forward_flat_sg');
      });
    }
    for (const sgRows of [4, 8, 12]) {
      it(`${name(k)}: backward_filter, ${sgRows}-row blocks`, async (ctx) => {
        if (!usable()) ctx.skip('no 8-lane subgroups on this device');
        expectEntry(await checkBackwardFilter(k, { flat: true, sgRows }), 'conv2d_subgroups', 'backward_filter_flat_sg');
      });
    }
    it(`${name(k)}: default plan, forward and backward_filter`, async () => {
      // cin 8: forward takes the channel path, the filter's one-tap 8-row blocks too.
      const [shader, suffix] = usable() ? ['conv2d_subgroups', k.cin % 4 !== 0 ? '_flat_sg' : '_sg'] : ['conv2d', ''];
      expectEntry(await checkForward(k, FWD[0]!), shader, `forward${suffix}`);
      expectEntry(await checkBackwardFilter(k), shader, `backward_filter${suffix}`);
    });
  }
});

// The workgroup-memory tiled GEMM (shaders/conv2d_tiled.wgsl), a tuner candidate for every pass:
// each tile on the awkward CASES (any cin, cout, stride, padding; partial tiles and stages) with
// the epilogues, and on the CNN's layers.
describe('conv2d tiled path', () => {
  for (const [tileName, tile] of Object.entries(TILES)) {
    const cases = tileName === 'tile32' ? CASES : [CASES[1]!, CASES[9]!, CASES[12]!];
    cases.forEach((k, i) => {
      it(`${tileName}: ${name(k)}: all three passes`, async () => {
        expectEntry(await checkForward(k, FWD[i % FWD.length]!, { tile }), 'conv2d_tiled', 'tiled');
        expectEntry(await checkBackwardInput(k, BWD[(i + 1) % BWD.length]!, { tile }), 'conv2d_tiled', 'tiled');
        expectEntry(await checkBackwardFilter(k, { tile }), 'conv2d_tiled', 'tiled');
      });
    });
  }
});
