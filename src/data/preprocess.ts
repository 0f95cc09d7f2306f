/**
 * The pre-processings, each as a per-pixel affine map from raw values,
 * x' = x * scale[p] + shift[p], so the GPU can apply the identical transform to uint8 data it
 * already holds (one fused multiply-add per pixel) instead of uploading four times as many floats.
 *   - mlp, cnn:    x / 255                      (scale 1/255, shift 0)
 *   - one-hidden:  standard scaling per pixel, fitted on the training set only.
 */
import { DataError } from '../errors';

/** The pre-processing choices: none, x / 255, or per-pixel standardisation fitted on the training data. */
export const PREPROCESSINGS = ['none', 'scale01', 'standardize'] as const;
/** One of PREPROCESSINGS: 'none', 'scale01' (x / 255) or 'standardize' (per pixel, fitted on the training data). */
export type Preprocessing = (typeof PREPROCESSINGS)[number];

/** Per-pixel affine map, in float32 because that is what the GPU will use. */
export interface PixelAffine {
  readonly scale: Float32Array<ArrayBuffer>;
  readonly shift: Float32Array<ArrayBuffer>;
}

/** Per-pixel statistics in raw byte units (0..255); std is the population std (ddof 0). */
export interface StandardScaler {
  readonly mean: Float64Array;
  readonly std: Float64Array;
}

/** x / 255 as an affine map over `pixelsPerImage` pixels. */
export function scale01Affine(pixelsPerImage: number): PixelAffine {
  return { scale: new Float32Array(pixelsPerImage).fill(1 / 255), shift: new Float32Array(pixelsPerImage) };
}

/**
 * Per-pixel mean and population std over the images, like scikit-learn's StandardScaler, in float64
 * with two passes (mean, then squared deviations) so there is no cancellation, and a constant pixel
 * gets exactly std 0.
 */
export function fitStandardScaler(trainImages: Uint8Array | Float32Array, pixelsPerImage: number): StandardScaler {
  const n = imageCount(trainImages, pixelsPerImage);
  if (n === 0) throw new DataError('Cannot fit a standard scaler to zero images', 'Pass the training images.');
  const mean = new Float64Array(pixelsPerImage);
  const std = new Float64Array(pixelsPerImage);
  // Image-major loops read the bytes in order; the per-pixel accumulators stay in cache.
  for (let i = 0, o = 0; i < n; i++, o += pixelsPerImage) {
    for (let p = 0; p < pixelsPerImage; p++) mean[p]! += trainImages[o + p]!;
  }
  for (let p = 0; p < pixelsPerImage; p++) mean[p]! /= n;
  for (let i = 0, o = 0; i < n; i++, o += pixelsPerImage) {
    for (let p = 0; p < pixelsPerImage; p++) {
      const d = trainImages[o + p]! - mean[p]!;
      std[p]! += d * d;
    }
  }
  for (let p = 0; p < pixelsPerImage; p++) std[p] = Math.sqrt(std[p]! / n);
  return { mean, std };
}

/**
 * (x - mean) / std as an affine map. A constant pixel (std 0) maps to 0 for every input, as the spec
 * says; scikit-learn would instead use std 1 there (giving x - mean), which differs only on test
 * pixels that vary where the training set's were constant.
 */
export function standardScalerAffine(scaler: StandardScaler): PixelAffine {
  const { mean, std } = scaler;
  const scale = new Float32Array(mean.length);
  const shift = new Float32Array(mean.length);
  for (let p = 0; p < mean.length; p++) {
    const s = std[p]!;
    if (s > 0) {
      scale[p] = 1 / s;
      shift[p] = -mean[p]! / s;
      if (!Number.isFinite(scale[p]!) || !Number.isFinite(shift[p]!)) {
        throw new DataError(`Pixel ${p} varies by only ${s} over the training images: standardising it overflows float32.`, "Rescale the images first, or use the 'scale01' or 'none' pre-processing.");
      }
    }
  }
  return { scale, shift };
}

/**
 * Apply an affine map to uint8 images. Computed as one rounding of x*scale+shift to float32, which is
 * what a GPU fused multiply-add gives (an unfused one may differ by 1 ulp).
 */
export function applyAffine(images: Uint8Array, affine: PixelAffine): Float32Array<ArrayBuffer> {
  const { scale, shift } = affine;
  const ppi = scale.length;
  const n = imageCount(images, ppi);
  const out = new Float32Array(images.length);
  for (let i = 0, o = 0; i < n; i++, o += ppi) {
    for (let p = 0; p < ppi; p++) out[o + p] = images[o + p]! * scale[p]! + shift[p]!;
  }
  return out;
}

/**
 * x / 255 for every byte (the mlp and cnn pre-processing), as x * float32(1/255): within 2 ulps of the
 * correctly rounded quotient, and exactly what the GPU computes from the same affine map.
 */
export function scale01(images: Uint8Array): Float32Array<ArrayBuffer> {
  // Every pixel has the same map, so treat each byte as a one-pixel image.
  return applyAffine(images, scale01Affine(1));
}

/** Standard scaling with statistics from fitStandardScaler (the one-hidden pre-processing). */
export function applyStandardScaler(images: Uint8Array, scaler: StandardScaler): Float32Array<ArrayBuffer> {
  return applyAffine(images, standardScalerAffine(scaler));
}

/** x itself: the map of the 'none' pre-processing. */
export function identityAffine(pixelsPerImage: number): PixelAffine {
  return { scale: new Float32Array(pixelsPerImage).fill(1), shift: new Float32Array(pixelsPerImage) };
}

/** The affine map of pre-processing `kind`, fitted on `trainImages` where it needs fitting. */
export function preprocessingAffine(kind: Preprocessing, trainImages: Uint8Array | Float32Array, pixelsPerImage: number): PixelAffine {
  if (kind === 'standardize') return standardScalerAffine(fitStandardScaler(trainImages, pixelsPerImage));
  return kind === 'scale01' ? scale01Affine(pixelsPerImage) : identityAffine(pixelsPerImage);
}

function imageCount(images: Uint8Array | Float32Array, pixelsPerImage: number): number {
  if (!Number.isInteger(pixelsPerImage) || pixelsPerImage <= 0 || images.length % pixelsPerImage !== 0) {
    throw new DataError(
      `${images.length} image bytes do not divide into images of ${pixelsPerImage} pixels`,
      'Pass whole images and their size in pixels (rows x cols).',
    );
  }
  return images.length / pixelsPerImage;
}
