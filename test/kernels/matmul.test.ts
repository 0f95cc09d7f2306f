import { eightLaneSubgroups } from '../../src/gpu/device';
import { describe, expect, it } from 'vitest';
import { bufferFrom, readF32 } from '../../src/gpu/buffers';
import { submitCalls } from '../../src/gpu/kernel';
import type { Activation } from '../../src/kernels/activation';
import { matmul, matmulDefaultVariant, matmulPlan, matmulPlanFor, matmulVariantChoice, matmulWithPlan, type MatmulPlanChoice, type MatmulShape } from '../../src/kernels/matmul';
import { TILES } from '../../src/kernels/tile';
import { expectClose } from '../support/compare';
import { checked, poisoned, useGpu } from '../support/gpu';
import { expectEpilogues, expectMatmul } from '../support/matmul';
import { randomF32, testRng } from '../support/random';
import { activateGradRef, activateRef, matmulRef } from '../oracle/dense';

const gpu = useGpu();

// Sizes that are not multiples of the 4x4 register block nor of the 8x8 workgroup.
const SHAPES = [
  { m: 3, n: 5, k: 7 },
  { m: 37, n: 13, k: 29 },
  { m: 1, n: 1, k: 1 },
  { m: 70, n: 130, k: 785 },
];

describe('matmul', () => {
  for (const { m, n, k } of SHAPES) {
    for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      it(`${m}x${k}·${k}x${n} transA=${transA} transB=${transB}`, async () => {
        const g = gpu();
        const { seed, next } = testRng();
        const a = randomF32(next, m * k);
        const b = randomF32(next, k * n);
        const c = poisoned(g, m * n);
        const call = await matmul(g, { m, n, k, transA, transB }, { a: bufferFrom(g, 'a', a), b: bufferFrom(g, 'b', b), c });
        const got = await checked(g, async () => (submitCalls(g, [call]), readF32(g, c)));
        expectClose(got, matmulRef(a, b, m, n, k, transA, transB), `seed ${seed}`);
      });
    }
  }

  for (const act of ['linear', 'relu', 'sigmoid'] as Activation[]) {
    it(`fused bias + ${act} epilogue`, async () => {
      const g = gpu();
      const { seed, next } = testRng();
      const [m, n, k] = [19, 23, 17];
      const a = randomF32(next, m * k);
      const b = randomF32(next, k * n);
      const bias = randomF32(next, n);
      const c = poisoned(g, m * n);
      const call = await matmul(g, { m, n, k }, { a: bufferFrom(g, 'a', a), b: bufferFrom(g, 'b', b), c }, { kind: 'bias-act', bias: bufferFrom(g, 'bias', bias), act });
      submitCalls(g, [call]);
      const want = matmulRef(a, b, m, n, k).map((v, i) => activateRef(v + bias[i % n]!, act));
      expectClose(await readF32(g, c), want, `seed ${seed}`);
    });

    it(`fused activation-gradient gate (${act})`, async () => {
      const g = gpu();
      const { seed, next } = testRng();
      const [m, n, k] = [11, 9, 21];
      const a = randomF32(next, m * k);
      const b = randomF32(next, n * k);
      // y: outputs of the activation, in its range (ReLU outputs include exact zeros).
      const y = randomF32(next, m * n).map((v) => activateRef(3 * v, act));
      const c = poisoned(g, m * n);
      const call = await matmul(g, { m, n, k, transB: true }, { a: bufferFrom(g, 'a', a), b: bufferFrom(g, 'b', b), c }, { kind: 'gate', y: bufferFrom(g, 'y', y), act });
      submitCalls(g, [call]);
      const want = matmulRef(a, b, m, n, k, false, true).map((v, i) => v * activateGradRef(y[i]!, act));
      expectClose(await readF32(g, c), want, `seed ${seed}`);
    });
  }

  describe('each specialisation', () => {
    // [shape, forced plan choice, the entry point and load modes that choice must produce]. Sizes
    // are multiples of 4 where a vec4 path needs it and ragged elsewhere, so the clamped edges of
    // the blocks (rows past u, lanes past v, the K % 4 tail) run alongside the vec4 loads.
    const CASES: [MatmulShape, MatmulPlanChoice, string][] = [
      [{ m: 37, n: 20, k: 12 }, { swap: false, tu: 8 }, 'main_vec4 u:k v:outer'],
      [{ m: 37, n: 20, k: 12 }, { swap: false, tu: 4, wg: 8 }, 'main_vec4 u:k v:outer'],
      [{ m: 20, n: 12, k: 8 }, { swap: true, tu: 8 }, 'main_vec4 swap u:outer v:k'],
      [{ m: 13, n: 18, k: 16, transB: true }, { swap: false, tu: 8 }, 'main_vec4 u:k v:k'],
      [{ m: 13, n: 18, k: 16, transB: true }, { swap: true, tu: 4 }, 'main_vec4 swap u:k v:k'],
      [{ m: 24, n: 12, k: 9, transA: true }, { swap: false, tu: 8 }, 'main_vec4 u:outer v:outer'],
      [{ m: 24, n: 12, k: 9, transA: true }, { swap: true, tu: 4, wg: 8 }, 'main_vec4 swap u:outer v:outer'],
      [{ m: 20, n: 9, k: 8, transA: true, transB: true }, { swap: false, tu: 4 }, 'main_vec4 u:outer v:k'],
      [{ m: 20, n: 9, k: 8, transA: true, transB: true }, { swap: true, tu: 8 }, 'main_vec4 swap u:k v:outer'],
      // One operand without a vec4 path (n = 10 along v, k = 10 along k): the scalar entry point.
      [{ m: 36, n: 10, k: 12 }, { swap: false, tu: 8 }, 'main'],
      [{ m: 36, n: 10, k: 12 }, { swap: true, tu: 4 }, 'main swap'],
      [{ m: 24, n: 16, k: 10, transB: true }, { swap: true, tu: 8 }, 'main swap'],
    ];

    // main_vec4 plans with 8-row blocks also run as main_sg (shaders/matmul_subgroups.wgsl) on a
    // device with 8-lane subgroups, with 8 and with 16 rows (the subgroup path's default): test all.
    const VARIANTS = CASES.flatMap(([shape, choice, expected]): [MatmulShape, MatmulPlanChoice, string][] =>
      expected.startsWith('main_vec4') && choice.tu % 8 === 0
        ? [
            [shape, { ...choice, subgroups: false }, expected],
            [shape, { ...choice, subgroups: true }, `${expected} (subgroups where the device has them)`],
            [shape, { ...choice, tu: 16, subgroups: true }, `${expected} (subgroups where the device has them)`],
          ]
        : [[shape, choice, expected]]);

    for (const [shape, choice, expected] of VARIANTS) {
      const { m, n, k, transA = false, transB = false } = shape;
      it(`${expected}: ${m}x${k}·${k}x${n} transA=${transA} transB=${transB} tu=${choice.tu}${choice.wg ? ` wg=${choice.wg}` : ''}`, async () => {
        const plan = matmulPlanFor(shape, choice);
        expect(plan.name.replace(/ \d+x4 wg\d+/, '')).toBe(expected.replace(/ \(subgroups.*$/, ''));
        expect(plan.subgroups).toBe(choice.subgroups === true);
        const g = gpu();
        const { seed, next } = testRng();
        const a = randomF32(next, m * k);
        const b = randomF32(next, k * n);
        const c = poisoned(g, m * n);
        const call = await matmulWithPlan(g, shape, { a: bufferFrom(g, 'a', a), b: bufferFrom(g, 'b', b), c }, { kind: 'none' }, 'matmul', choice);
        const shared = plan.subgroups && eightLaneSubgroups(g);
        expect(call.pipeline.label.startsWith(shared ? 'matmul_subgroups:main_sg:' : `matmul:${plan.entry}:`), call.pipeline.label).toBe(true);
        const got = await checked(g, async () => (submitCalls(g, [call]), readF32(g, c)));
        expectClose(got, matmulRef(a, b, m, n, k, transA, transB), `seed ${seed}`);
      });
    }

    // The epilogue indexes bias by column and the gate by element, which SWAP transposes.
    for (const [swap, subgroups] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      it(`bias + relu and sigmoid gate through main_vec4 (swap=${swap}, subgroups=${subgroups})`, async () => {
        const [m, n, k] = [12, 20, 8];
        for (const shape of [{ m, n, k }, { m, n, k, transB: true }]) expect(matmulPlanFor(shape, { swap, tu: 8 }).entry).toBe('main_vec4');
        await expectEpilogues(gpu(), [m, n, k], { swap, tu: 8, subgroups });
      });
    }

    it('the subgroup path takes 16-row blocks where they leave every core two workgroups', () => {
      expect(matmulPlan({ m: 256, n: 512, k: 784 }, { subgroups: true }).tu).toBe(16);
      expect(matmulPlan({ m: 256, n: 512, k: 784 }, { subgroups: false }).tu).toBe(8);
      expect(matmulPlan({ m: 16, n: 32, k: 64 }, { subgroups: true }).tu).toBe(8); // one 16-row block: too few
    });

    // The plans matmul() picks for the seed models' dense layers (forward, input and weight
    // gradients) are valid: the same code paths, at the real shapes' edges.
    for (const shape of [
      { m: 256, n: 10, k: 128 }, { m: 256, n: 128, k: 10, transB: true }, { m: 128, n: 10, k: 256, transA: true },
      { m: 32, n: 128, k: 784 }, { m: 784, n: 128, k: 32, transA: true }, { m: 64, n: 1568, k: 256, transB: true },
    ] as MatmulShape[]) {
      const { m, n, k, transA = false, transB = false } = shape;
      it(`model shape ${m}x${k}·${k}x${n} transA=${transA} transB=${transB} (${matmulPlan(shape).name})`, async () => {
        await expectMatmul(gpu(), shape);
      });
    }
  });

  // The workgroup-memory tiled variant (shaders/matmul_tiled.wgsl), a tuner candidate: every tile at
  // shapes that are not multiples of the tile, the stage depth or 4, in each transpose case, with
  // both epilogues (the store is matmul.wgsl's).
  describe('tiled (workgroup memory)', () => {
    for (const [tileName, tile] of Object.entries(TILES)) {
      for (const { m, n, k } of tileName === 'tile32' ? [...SHAPES, { m: 67, n: 70, k: 33 }] : [SHAPES[1]!, SHAPES[3]!]) {
        for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
          it(`${tileName}: ${m}x${k}·${k}x${n} transA=${transA} transB=${transB}`, async () => {
            const g = gpu();
            const { seed, next } = testRng();
            const a = randomF32(next, m * k);
            const b = randomF32(next, k * n);
            const c = poisoned(g, m * n);
            const call = await matmulWithPlan(g, { m, n, k, transA, transB }, { a: bufferFrom(g, 'a', a), b: bufferFrom(g, 'b', b), c }, { kind: 'none' }, 'matmul', { swap: false, tu: 4, tile });
            expect(call.pipeline.label.startsWith('matmul_tiled:main_tiled:'), call.pipeline.label).toBe(true);
            const got = await checked(g, async () => (submitCalls(g, [call]), readF32(g, c)));
            expectClose(got, matmulRef(a, b, m, n, k, transA, transB), `seed ${seed}`);
          });
        }
      }
      it(`${tileName}: bias + relu and sigmoid gate`, async () => {
        await expectEpilogues(gpu(), [45, 38, 19], { swap: false, tu: 4, tile });
      });
    }
  });

  // Without tuning, matmul() runs exactly the cost model's plan (so untuned training is unchanged).
  it('the default variant reproduces the cost model\'s plan', () => {
    const g = gpu();
    for (const shape of [{ m: 256, n: 512, k: 784 }, { m: 256, n: 10, k: 128 }, { m: 784, n: 128, k: 32, transA: true }, { m: 37, n: 13, k: 29 }] as MatmulShape[]) {
      const model = matmulPlan(shape, { subgroups: eightLaneSubgroups(g) });
      const fromVariant = matmulPlanFor(shape, matmulVariantChoice(shape, matmulDefaultVariant(g, shape)));
      expect(fromVariant.name).toBe(model.name);
      expect(fromVariant.subgroups && eightLaneSubgroups(g)).toBe(model.subgroups && eightLaneSubgroups(g));
    }
  });
});
