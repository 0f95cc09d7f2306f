import { describe, expect, it } from 'vitest';
import { mulberry32, permutation, streamSeed, uniformBelow } from '../../src/data/shuffle';

/** mulberry32 as published (returns floats in [0, 1)), to check ours against. */
function reference(seed: number): () => number {
  let a = seed;
  return () => {
    let t = (a += 0x6d2b79f5);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const isPermutation = (p: Uint32Array) => Array.from(p).sort((a, b) => a - b).every((v, i) => v === i);

describe('mulberry32', () => {
  it('matches the published generator', () => {
    for (const seed of [0, 1, 42, 0xdeadbeef]) {
      const ours = mulberry32(seed);
      const ref = reference(seed);
      for (let i = 0; i < 100; i++) expect(ours() / 4294967296).toBe(ref());
    }
    expect(mulberry32(1)()).toBe(2693262067); // 0.6270739405881613 * 2^32
  });
});

describe('permutation', () => {
  it('is a permutation, for small and dataset sizes', () => {
    for (const n of [0, 1, 2, 7, 1000, 60_000]) expect(isPermutation(permutation(n, 123, 4))).toBe(true);
  });

  it('is the same for the same seed and epoch, on every platform (golden values)', () => {
    expect(Array.from(permutation(10, 42, 0))).toEqual([3, 9, 8, 1, 5, 6, 0, 7, 4, 2]);
    expect(Array.from(permutation(10, 42, 1))).toEqual([0, 1, 3, 2, 9, 8, 7, 6, 4, 5]);
    expect(permutation(60_000, 7, 3)).toEqual(permutation(60_000, 7, 3));
  });

  it('differs between epochs and between seeds', () => {
    const base = permutation(60_000, 7, 0);
    expect(permutation(60_000, 7, 1)).not.toEqual(base);
    expect(permutation(60_000, 8, 0)).not.toEqual(base);
    const states = new Set(Array.from({ length: 1000 }, (_, e) => streamSeed(7, e)));
    expect(states.size).toBe(1000);
  });

  it('puts each element in each place about equally often', () => {
    // Where element 0 lands in 4,000 shuffles of 4: each of the 4 places ~1,000 times.
    const counts = [0, 0, 0, 0];
    for (let e = 0; e < 4000; e++) counts[permutation(4, 99, e).indexOf(0)]!++;
    for (const c of counts) expect(Math.abs(c - 1000)).toBeLessThan(150);
  });
});

describe('uniformBelow', () => {
  it('rejects draws past the largest multiple of the bound', () => {
    const draws = [0xffffffff, 0xfffffffe, 5];
    const next = () => draws.shift()!;
    // bound 3: 2^32 mod 3 = 1, so only 0xffffffff is rejected; 0xfffffffe mod 3 = 2.
    expect(uniformBelow(next, 3)).toBe(2);
    expect(uniformBelow(() => 12345, 1)).toBe(0);
    expect(uniformBelow(() => 0xffffffff, 4294967296)).toBe(0xffffffff);
  });
});
