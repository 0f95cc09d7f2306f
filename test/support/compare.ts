import { expect } from 'vitest';

/**
 * Max |actual - expected| divided by max |expected|: the error relative to the tensor's scale,
 * which stays meaningful for elements that cancel to near zero. NaN anywhere (an element the
 * kernel never wrote into a poisoned buffer) counts as infinite error.
 */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length < expected.length) return Infinity;
  let maxDiff = 0;
  let maxRef = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (!Number.isFinite(a)) return Infinity;
    maxDiff = Math.max(maxDiff, Math.abs(a - e));
    maxRef = Math.max(maxRef, Math.abs(e));
  }
  return maxRef === 0 ? maxDiff : maxDiff / maxRef;
}

export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, tolerance = 1e-5): void {
  const err = relativeError(actual, expected);
  expect(err, `${what}: relative error ${err.toExponential(2)} (tolerance ${tolerance})`).toBeLessThan(tolerance);
}
