import { describe, expect, it } from 'vitest';
import { DataError } from '../../src/errors';
import {
  applyAffine,
  applyStandardScaler,
  fitStandardScaler,
  scale01,
  scale01Affine,
  standardScalerAffine,
} from '../../src/data/preprocess';

/** 50 images of 4 pixels: pixel 0 constant, 1 ramp, 2 two-valued, 3 pseudo-random. */
const PPI = 4;
const N = 50;
const images = new Uint8Array(N * PPI);
for (let i = 0; i < N; i++) {
  images.set([77, (i * 5) & 0xff, i % 2 ? 255 : 0, (i * 97 + 13) % 251], i * PPI);
}

/** Mean and population std of pixel p, the obvious way, in float64. */
function direct(p: number): { mean: number; std: number } {
  const xs = Array.from({ length: N }, (_, i) => images[i * PPI + p]!);
  const mean = xs.reduce((a, b) => a + b, 0) / N;
  return { mean, std: Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / N) };
}

describe('standard scaler', () => {
  const scaler = fitStandardScaler(images, PPI);

  it('matches a direct float64 mean and population std', () => {
    for (let p = 1; p < PPI; p++) {
      const { mean, std } = direct(p);
      expect(scaler.mean[p]).toBeCloseTo(mean, 12);
      expect(scaler.std[p]).toBeCloseTo(std, 12);
    }
    expect(scaler.std[2]).toBeCloseTo(127.5, 12); // half 0, half 255
  });

  it('gives a constant pixel std exactly 0, and maps it to 0 on any input', () => {
    expect(scaler.mean[0]).toBe(77);
    expect(scaler.std[0]).toBe(0);
    const other = Uint8Array.from([0, 0, 0, 0, 255, 0, 0, 0]);
    const out = applyStandardScaler(other, scaler);
    expect(out[0]).toBe(0);
    expect(out[4]).toBe(0);
  });

  it('transforms to (x - mean) / std within float32 rounding', () => {
    const out = applyStandardScaler(images, scaler);
    for (let i = 0; i < N; i++) {
      for (let p = 1; p < PPI; p++) {
        const { mean, std } = direct(p);
        const x = images[i * PPI + p]!;
        // float32 scale and shift: error relative to the size of the terms being added.
        expect(Math.abs(out[i * PPI + p]! - (x - mean) / std)).toBeLessThan(1e-6 * (1 + (x + mean) / std));
      }
    }
    // The training set comes out with mean 0 and std 1 per varying pixel.
    for (let p = 1; p < PPI; p++) {
      const col = Array.from({ length: N }, (_, i) => out[i * PPI + p]!);
      const m = col.reduce((a, b) => a + b, 0) / N;
      expect(m).toBeCloseTo(0, 5);
      expect(Math.sqrt(col.reduce((a, x) => a + (x - m) ** 2, 0) / N)).toBeCloseTo(1, 5);
    }
  });

  it('is the affine map it exports, the one the GPU will use', () => {
    const a = standardScalerAffine(scaler);
    expect(a.scale[0]).toBe(0);
    expect(a.shift[0]).toBe(0);
    expect(a.scale[2]).toBeCloseTo(1 / 127.5, 9);
    expect(applyAffine(images, a)).toEqual(applyStandardScaler(images, scaler));
  });

  it('rejects bytes that are not whole images, and no images', () => {
    expect(() => fitStandardScaler(new Uint8Array(5), PPI)).toThrow(DataError);
    expect(() => fitStandardScaler(new Uint8Array(0), PPI)).toThrow(DataError);
    expect(() => applyAffine(new Uint8Array(5), scale01Affine(4))).toThrow(/do not divide into images of 4 pixels/);
  });
});

describe('scale01', () => {
  it('maps bytes to [0, 1] as x/255, within 2 float32 ulps (scale 1/255 is itself rounded)', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    const out = scale01(all);
    expect(out[0]).toBe(0);
    expect(out[255]).toBe(1);
    for (let x = 0; x < 256; x++) expect(Math.abs(out[x]! - x / 255)).toBeLessThanOrEqual(2 ** -23 * (x / 255));
  });

  it('has the per-pixel affine form scale 1/255, shift 0', () => {
    const a = scale01Affine(784);
    expect(a.scale.length).toBe(784);
    expect(a.scale[783]).toBe(Math.fround(1 / 255));
    expect(a.shift.every((s) => s === 0)).toBe(true);
  });
});
