import { describe, expect, it } from 'vitest';
import { bufferFrom, readF32 } from '../../src/gpu/buffers';
import { submitCalls } from '../../src/gpu/kernel';
import { SUM_ROWS_CHUNK, sumRows, sumRowsScratchBytes } from '../../src/kernels/reduce';
import { checked, poisoned, useGpu } from '../support/gpu';
import { randomF32, testRng } from '../support/random';
import { sumRowsRef } from '../oracle/loss';

const gpu = useGpu();

/**
 * Column sums against the float64 oracle, each column's error relative to the sum of its terms'
 * magnitudes: a sum that cancels to near zero is only as exact as its terms are large (measured
 * against the sum itself, 1,000 random terms failed 1e-5 now and then), so that is the scale f32
 * summation can promise. NaN (an unwritten output) fails.
 */
function expectSums(got: Float32Array, x: Float32Array, rows: number, cols: number, what: string): void {
  const want = sumRowsRef(x, rows, cols);
  const scale = sumRowsRef(x.map(Math.abs), rows, cols);
  let worst = 0;
  for (let c = 0; c < cols; c++) worst = Math.max(worst, Number.isFinite(got[c]) ? Math.abs(got[c]! - want[c]!) / scale[c]! : Infinity);
  expect(worst, `${what}: worst column error ${worst.toExponential(2)} of its terms' magnitude`).toBeLessThan(1e-5);
}

// Single pass (rows <= one chunk), two passes with a short last chunk, columns not a multiple of the
// 4 an invocation owns (the scalar entry point), multiples of 4 (the vec4 one) in one and two passes,
// the dense bias gradient [64, 512] and the CNN's first conv [50176, 64].
const SHAPES = [
  { rows: 1, cols: 1 },
  { rows: 3, cols: 5 },
  { rows: 64, cols: 512 },
  { rows: SUM_ROWS_CHUNK, cols: 10 },
  { rows: SUM_ROWS_CHUNK + 1, cols: 3 },
  { rows: 1000, cols: 1 },
  { rows: 4099, cols: 33 },
  { rows: 7, cols: 4 },
  { rows: SUM_ROWS_CHUNK * 2 + 45, cols: 8 },
  { rows: 50_176, cols: 64 },
];

describe('sumRows', () => {
  for (const { rows, cols } of SHAPES) {
    it(`column sums of ${rows}x${cols}`, async () => {
      const g = gpu();
      const { seed, next } = testRng();
      const x = randomF32(next, rows * cols);
      const out = poisoned(g, cols);
      const scratchBytes = sumRowsScratchBytes({ rows, cols });
      const scratch = scratchBytes ? poisoned(g, scratchBytes / 4, 'scratch') : undefined;
      const calls = await sumRows(g, { rows, cols }, { x: bufferFrom(g, 'x', x), out, scratch });
      expect(calls.length).toBe(rows > SUM_ROWS_CHUNK ? 2 : 1);
      for (const call of calls) expect(call.pipeline.label).toMatch(cols % 4 === 0 ? /^reduce:sum_rows_vec4:/ : /^reduce:sum_rows:/);
      const got = await checked(g, async () => (submitCalls(g, calls), readF32(g, out)));
      expectSums(got, x, rows, cols, `seed ${seed}`);
    });
  }

  it('allocates its own scratch when none is given', async () => {
    const g = gpu();
    const { seed, next } = testRng();
    const [rows, cols] = [777, 7];
    const x = randomF32(next, rows * cols);
    const out = poisoned(g, cols);
    const calls = await sumRows(g, { rows, cols }, { x: bufferFrom(g, 'x', x), out });
    const got = await checked(g, async () => (submitCalls(g, calls), readF32(g, out)));
    expectSums(got, x, rows, cols, `seed ${seed}`);
  });
});
