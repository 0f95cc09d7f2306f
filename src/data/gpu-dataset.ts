import type { Gpu } from '../gpu/device';
import { storageBuffer } from '../gpu/buffers';
import type { PixelAffine } from './preprocess';
import type { Split } from './fashion-mnist';

/**
 * A split resident on the GPU as its raw bytes (47 MB for Fashion-MNIST's training set, a quarter
 * of its f32 size), plus the pre-processing as a per-pixel affine map. Batches are gathered from
 * it on the GPU, so training uploads no pixels after this.
 */
export interface GpuSplit {
  readonly count: number;
  readonly pixels: number;
  readonly images: GPUBuffer;
  readonly labels: GPUBuffer;
  readonly affine: GPUBuffer;
  /** The order examples are visited in: rewritten once per epoch when shuffling. */
  readonly order: GPUBuffer;
  release(): void;
}

export function uploadSplit(gpu: Gpu, name: string, split: Split, pixels: number, affine: PixelAffine): GpuSplit {
  const images = storageBuffer(gpu, `${name} images`, split.images.byteLength, split.images);
  const labels = storageBuffer(gpu, `${name} labels`, split.labels.byteLength, split.labels);
  const both = new Float32Array(2 * pixels);
  both.set(affine.scale, 0);
  both.set(affine.shift, pixels);
  const affineBuffer = storageBuffer(gpu, `${name} affine`, both.byteLength, both);
  const identity = Uint32Array.from({ length: split.count }, (_, i) => i);
  const order = storageBuffer(gpu, `${name} order`, identity.byteLength, identity);
  return {
    count: split.count,
    pixels,
    images,
    labels,
    affine: affineBuffer,
    order,
    release() {
      for (const b of [images, labels, affineBuffer, order]) b.destroy();
    },
  };
}
