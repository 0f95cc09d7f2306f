/** Matmul checks the kernel tests and the tuner tests share: a product and the two epilogues against the float64 oracle. */
import { bufferFrom, readF32 } from '../../src/gpu/buffers';
import type { Gpu } from '../../src/gpu/device';
import { submitCalls } from '../../src/gpu/kernel';
import { matmul, matmulWithPlan, type MatmulEpilogue, type MatmulPlanChoice, type MatmulShape } from '../../src/kernels/matmul';
import { activateGradRef, activateRef, matmulRef } from '../oracle/dense';
import { expectClose } from './compare';
import { checked, poisoned } from './gpu';
import { randomF32, testRng } from './random';

/** matmul() (whatever plan it picks) on fresh random inputs equals the oracle; returns its call. */
export async function expectMatmul(g: Gpu, shape: MatmulShape): Promise<Awaited<ReturnType<typeof matmul>>> {
  const { m, n, k, transA = false, transB = false } = shape;
  const { seed, next } = testRng();
  const a = randomF32(next, m * k);
  const b = randomF32(next, k * n);
  const c = poisoned(g, m * n);
  const call = await matmul(g, shape, { a: bufferFrom(g, 'a', a), b: bufferFrom(g, 'b', b), c });
  const got = await checked(g, async () => (submitCalls(g, [call]), readF32(g, c)));
  expectClose(got, matmulRef(a, b, m, n, k, transA, transB), `seed ${seed}`);
  return call;
}

/**
 * Plan `choice` at [m, k]·[k, n] with the bias + relu epilogue, and with the transB product's
 * sigmoid gate, equal the oracle (the epilogue indexes bias by column and the gate by element).
 */
export async function expectEpilogues(g: Gpu, [m, n, k]: readonly [number, number, number], choice: MatmulPlanChoice): Promise<void> {
  const { seed, next } = testRng();
  const a = randomF32(next, m * k);
  const b = randomF32(next, k * n);
  const bias = randomF32(next, n);
  const y = randomF32(next, m * n).map((v) => activateRef(3 * v, 'sigmoid'));
  const io = { a: bufferFrom(g, 'a', a), b: bufferFrom(g, 'b', b) };
  const run = async (shape: MatmulShape, epilogue: MatmulEpilogue) => {
    const c = poisoned(g, m * n);
    submitCalls(g, [await matmulWithPlan(g, shape, { ...io, c }, epilogue, 'matmul', choice)]);
    return readF32(g, c);
  };
  const biased = await run({ m, n, k }, { kind: 'bias-act', bias: bufferFrom(g, 'bias', bias), act: 'relu' });
  expectClose(biased, matmulRef(a, b, m, n, k).map((v, i) => activateRef(v + bias[i % n]!, 'relu')), `bias, seed ${seed}`);
  const gated = await run({ m, n, k, transB: true }, { kind: 'gate', y: bufferFrom(g, 'y', y), act: 'sigmoid' });
  const want = matmulRef(a, b, m, n, k, false, true).map((v, i) => v * activateGradRef(y[i]!, 'sigmoid'));
  expectClose(gated, want, `gate, seed ${seed}`);
}
