/**
 * Seeded shuffling that gives the same order on every platform: 32-bit integer arithmetic only
 * (Math.imul, shifts, and exact small-integer division), no Math.random, no floating-point draws.
 */

/**
 * mulberry32 (Tommy Ettinger, public domain): 32-bit state, period 2^32, returns uniform u32s.
 * Weak for cryptography or huge simulations but ample for ordering a few hundred thousand examples.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** MurmurHash3's fmix32 finaliser: a bijection on u32 that scatters nearby inputs. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * The generator state for (seed, epoch): hashed so that epoch 1 is not seed 0's stream shifted by
 * one draw, and for a fixed seed distinct epochs (mod 2^32) give distinct states. Both are taken mod 2^32.
 */
export function streamSeed(seed: number, epoch: number): number {
  return fmix32((fmix32(seed >>> 0) + Math.imul(epoch >>> 0, 0x9e3779b9)) >>> 0);
}

/**
 * Uniform integer in [0, bound), 1 <= bound <= 2^32, by rejection so no value is favoured. The limit
 * arithmetic is on integers below 2^53, so exact in doubles.
 */
export function uniformBelow(next: () => number, bound: number): number {
  const limit = 4294967296 - (4294967296 % bound);
  let r = next();
  while (r >= limit) r = next();
  return r % bound;
}

/** A seeded Fisher-Yates permutation of 0..n-1: the example order for `epoch` of a run with `seed`. */
export function permutation(n: number, seed: number, epoch = 0): Uint32Array<ArrayBuffer> {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError(`permutation size ${n} is not a u32`);
  const p = new Uint32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  const next = mulberry32(streamSeed(seed, epoch));
  for (let i = n - 1; i > 0; i--) {
    const j = uniformBelow(next, i + 1);
    const t = p[i]!;
    p[i] = p[j]!;
    p[j] = t;
  }
  return p;
}
