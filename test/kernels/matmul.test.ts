import { describe, it } from 'vitest';
import { bufferFrom, readF32 } from '../../src/gpu/buffers';
import { submitCalls } from '../../src/gpu/kernel';
import type { Activation } from '../../src/kernels/activation';
import { matmul } from '../../src/kernels/matmul';
import { expectClose } from '../support/compare';
import { checked, poisoned, useGpu } from '../support/gpu';
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
});
