/**
 * Seeded random test inputs. Each run draws a fresh seed (so inputs differ between runs) and
 * reports it, so a failure can be replayed with WGML_TEST_SEED=<seed>.
 */
export function testRng(): { seed: number; next: () => number } {
  // Anything but a whole number (unset, empty, or "null" from a browser project's define) means a fresh seed.
  const fixed = Number.parseInt(String(process.env.WGML_TEST_SEED ?? ''), 10);
  const seed = Number.isSafeInteger(fixed) && fixed >= 0 ? fixed : Math.floor(Math.random() * 2 ** 31);
  let s = seed >>> 0;
  const next = () => {
    // mulberry32
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { seed, next };
}

/** `count` values uniform in [lo, hi), never all zero. */
export function randomF32(rng: () => number, count: number, lo = -1, hi = 1): Float32Array<ArrayBuffer> {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = lo + (hi - lo) * rng();
  return out;
}
