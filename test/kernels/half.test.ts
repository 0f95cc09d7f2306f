/**
 * Mixed precision's kernels: the f16 copy (packHalves), matmul reading packed-half operands in every
 * code path, and the optimisers writing the copy as they update. Half operands are checked against
 * the float64 product of the halves they hold, so the tolerance is the usual one.
 */
import { describe, expect, it } from 'vitest';
import { eightLaneSubgroups } from '../../src/gpu/device';
import { bufferFrom, readF32, readU32, storageBuffer, writeBuffer } from '../../src/gpu/buffers';
import { submitCalls } from '../../src/gpu/kernel';
import { halfCopyBytes, packHalves } from '../../src/kernels/half';
import { matmulPlanFor, matmulWithPlan, type MatmulOperand, type MatmulPlanChoice, type MatmulShape } from '../../src/kernels/matmul';
import { adamStep, optimizerUniform, sgdStep, writeAdamStep, writeSgdStep } from '../../src/kernels/optimizer';
import { TILES } from '../../src/kernels/tile';
import { activateRef, matmulRef } from '../oracle/dense';
import { expectClose } from '../support/compare';
import { checked, poisoned, useGpu } from '../support/gpu';
import { floatToHalf, halfToFloat, toHalves } from '../support/half';
import { randomF32, testRng } from '../support/random';

const gpu = useGpu();

/**
 * Every half in `words` (two per u32) is one of the two halves around the value of `values` it
 * holds (the value itself where it is one), or zero for a value in f16's subnormal range: WGSL
 * leaves the rounding of pack2x16float to the implementation and lets it flush subnormals. lavapipe
 * rounds to nearest; SwiftShader rounds subnormal halves toward zero (0x807e for -7.54e-6, whose
 * nearest half is 0x807f).
 */
function expectNeighbourHalves(words: Uint32Array, values: ArrayLike<number>, what: string): void {
  for (let i = 0; i < values.length; i++) {
    const bits = (words[i >> 1]! >>> (16 * (i & 1))) & 0xffff;
    const x = Math.max(-65504, Math.min(65504, values[i]!));
    const h = halfToFloat(bits);
    if (h === x) continue;
    const spacing = Math.abs(x) < 2 ** -14 ? 2 ** -24 : 2 ** (Math.floor(Math.log2(Math.abs(x))) - 10);
    const neighbour = Math.abs(h - x) < spacing && (h === 0 || Math.sign(h) === Math.sign(x));
    const flushed = h === 0 && Math.abs(x) < 2 ** -14;
    expect(neighbour || flushed, `${what}: value ${i} = ${values[i]} became half ${bits.toString(16)} (${h}); the nearest is ${floatToHalf(x).toString(16)}`).toBe(true);
  }
}

/** Values over f16's whole range: subnormals, normals of every exponent, and some past ±65504. */
function wideValues(next: () => number, count: number): Float32Array<ArrayBuffer> {
  return Float32Array.from({ length: count }, (_, i) => (next() < 0.5 ? -1 : 1) * (1 + next()) * 2 ** ((i % 44) - 28));
}

describe('packHalves', () => {
  for (const count of [4, 1028, 100_004]) {
    it(`${count} values, each to a half around it`, async () => {
      const g = gpu();
      const { seed, next } = testRng();
      const values = wideValues(next, count);
      const dst = storageBuffer(g, 'f16 copy', halfCopyBytes(count), new Uint32Array(count / 2).fill(0xdeadbeef));
      const call = await packHalves(g, { count }, { src: bufferFrom(g, 'src', values), dst });
      const words = await checked(g, async () => (submitCalls(g, [call]), readU32(g, dst)));
      expectNeighbourHalves(words, values, `seed ${seed}`);
    });
  }

  it('refuses a count the vec4 copy cannot cover', () => {
    expect(() => packHalves(gpu(), { count: 6 }, { src: poisoned(gpu(), 8), dst: poisoned(gpu(), 4) })).toThrow(/multiple of 4/);
  });
});

/**
 * Half operands sit `HALF_AT` values into a buffer of poisoned (NaN) halves, as a tensor of a model's
 * f16 weight copy does: 64 values is 128 bytes, an offset no storage binding could take.
 */
const HALF_AT = 64;

function halfOperand(g: ReturnType<typeof gpu>, values: Float32Array): { operand: MatmulOperand; held: Float64Array } {
  const { bits, values: held } = toHalves(values);
  const words = new Uint16Array(HALF_AT + Math.ceil(values.length / 4) * 4 + 4).fill(0x7e00);
  words.set(bits, HALF_AT);
  return { operand: { half: storageBuffer(g, 'half operand', words.byteLength, words), offset: HALF_AT }, held };
}

describe('matmul with packed-half operands', () => {
  // Every entry point and load mode of matmul.test.ts' specialisations, plus the tiles.
  const CASES: [MatmulShape, MatmulPlanChoice][] = [
    [{ m: 37, n: 20, k: 12 }, { swap: false, tu: 8 }],
    [{ m: 20, n: 12, k: 8 }, { swap: true, tu: 8 }],
    [{ m: 13, n: 18, k: 16, transB: true }, { swap: false, tu: 8 }],
    [{ m: 13, n: 18, k: 16, transB: true }, { swap: true, tu: 4 }],
    [{ m: 24, n: 12, k: 9, transA: true }, { swap: false, tu: 8 }],
    [{ m: 20, n: 9, k: 8, transA: true, transB: true }, { swap: true, tu: 8 }],
    [{ m: 36, n: 10, k: 12 }, { swap: false, tu: 8 }],
    [{ m: 24, n: 16, k: 10, transB: true }, { swap: true, tu: 8 }],
    [{ m: 70, n: 130, k: 785, transB: true }, { swap: false, tu: 4 }],
  ];
  const choices = CASES.flatMap(([shape, choice]): [MatmulShape, MatmulPlanChoice][] => {
    const vec4 = matmulPlanFor(shape, choice).entry === 'main_vec4';
    return [
      [shape, { ...choice, subgroups: false }],
      ...(vec4 && choice.tu % 8 === 0 ? [[shape, { ...choice, tu: 16, subgroups: true }] as [MatmulShape, MatmulPlanChoice]] : []),
    ];
  });
  for (const [name, tile] of Object.entries(TILES)) choices.push([{ m: 37, n: 13, k: 29, transA: true }, { swap: false, tu: tile.rows, tile }], [{ m: 45, n: 38, k: 19, transB: true }, { swap: false, tu: tile.rows, tile }]);

  for (const [shape, choice] of choices) {
    const { m, n, k, transA = false, transB = false } = shape;
    const plan = matmulPlanFor(shape, choice);
    for (const halves of ['A', 'B', 'AB']) {
      it(`${plan.name}${choice.subgroups && plan.subgroups ? ' (subgroups)' : ''}: ${m}x${k}·${k}x${n} transA=${transA} transB=${transB}, f16 ${halves}`, async () => {
        const g = gpu();
        const { seed, next } = testRng();
        const a = randomF32(next, m * k);
        const b = randomF32(next, k * n);
        const bias = randomF32(next, n);
        const [ha, hb] = [halfOperand(g, a), halfOperand(g, b)];
        const io = { a: halves.includes('A') ? ha.operand : bufferFrom(g, 'a', a), b: halves.includes('B') ? hb.operand : bufferFrom(g, 'b', b) };
        const c = poisoned(g, m * n);
        const call = await matmulWithPlan(g, shape, { ...io, c }, { kind: 'bias-act', bias: bufferFrom(g, 'bias', bias), act: 'relu' }, 'matmul', choice);
        const shared = plan.subgroups && eightLaneSubgroups(g);
        const u = plan.swap ? 'B' : 'A';
        expect(call.pipeline.label.includes(halves.includes(u) ? 'matmul_u=matmul_u_half' : 'matmul_u=') === halves.includes(u), call.pipeline.label).toBe(true);
        if (shared) expect(call.pipeline.label.startsWith('matmul_subgroups['), call.pipeline.label).toBe(true);
        const got = await checked(g, async () => (submitCalls(g, [call]), readF32(g, c)));
        const want = matmulRef(halves.includes('A') ? ha.held : a, halves.includes('B') ? hb.held : b, m, n, k, transA, transB).map((v, i) => activateRef(v + bias[i % n]!, 'relu'));
        expectClose(got, want, `seed ${seed}`);
      });
    }
  }

  it('refuses an offset that is not a whole group of four', () => {
    const g = gpu();
    const b = halfOperand(g, new Float32Array(16).fill(0.5)).operand as { half: GPUBuffer; offset: number };
    expect(() => matmulWithPlan(g, { m: 4, n: 4, k: 4 }, { a: poisoned(g, 16), b: { ...b, offset: 66 }, c: poisoned(g, 16) }, { kind: 'none' }, 'matmul', { swap: false, tu: 4 }))
      .toThrow(/multiple of 4/);
  });
});

describe('optimisers writing the f16 copy', () => {
  for (const kind of ['sgd', 'adam'] as const) {
    it(`${kind}: the same parameters as without the copy, bit for bit, and the copy holds their halves`, async () => {
      const g = gpu();
      const { seed, next } = testRng();
      const count = 1028;
      const p0 = randomF32(next, count);
      const grads = bufferFrom(g, 'grads', randomF32(next, count));
      const run = async (withCopy: boolean) => {
        const params = bufferFrom(g, 'params', p0);
        const half = storageBuffer(g, 'f16 copy', halfCopyBytes(count), new Uint32Array(count / 2).fill(0xdeadbeef));
        const hyper = optimizerUniform(g);
        const paramsHalf = withCopy ? { paramsHalf: half } : {};
        const call = kind === 'sgd'
          ? await sgdStep(g, { count }, { params, grads, hyper, ...paramsHalf })
          : await adamStep(g, { count }, { params, grads, hyper, m: storageBuffer(g, 'm', count * 4), v: storageBuffer(g, 'v', count * 4), ...paramsHalf });
        expect(call.pipeline.label.startsWith(`${kind}:${withCopy ? 'main_vec4_half' : 'main_vec4'}:`), call.pipeline.label).toBe(true);
        for (let t = 1; t <= 3; t++) {
          if (kind === 'sgd') writeSgdStep(g, hyper, { lr: 0.1 / t });
          else writeAdamStep(g, hyper, { lr: 0.01 / t, t });
          submitCalls(g, [call]);
        }
        return checked(g, () => Promise.all([readU32(g, params), readU32(g, half)]));
      };
      const [[plain], [updated, copy]] = [await run(false), await run(true)];
      expect(updated, `seed ${seed}`).toEqual(plain);
      expectNeighbourHalves(copy, new Float32Array(updated.buffer), `seed ${seed}`);
    });
  }
});
