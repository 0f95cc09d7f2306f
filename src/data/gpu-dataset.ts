import type { Gpu } from '../gpu/device';
import { storageBuffer } from '../gpu/buffers';
import type { DataSplit } from './dataset';

/**
 * A split resident on the GPU as stored: uint8 images as their bytes (47 MB for Fashion-MNIST's
 * training set, a quarter of its f32 size), float32 images as they are, labels as u32. Batches are
 * gathered from it on the GPU with the model's pre-processing applied on the way (kernels/gather.ts),
 * so training uploads no pixels after this.
 */
export interface GpuSplit {
  readonly count: number;
  readonly pixels: number;
  /** True when the images are f32 values rather than bytes. */
  readonly floatPixels: boolean;
  readonly images: GPUBuffer;
  readonly labels: GPUBuffer;
  /** The order examples are visited in: rewritten once per epoch when shuffling. */
  readonly order: GPUBuffer;
  release(): void;
}

export function uploadSplit(gpu: Gpu, name: string, split: DataSplit, pixels: number): GpuSplit {
  const images = storageBuffer(gpu, `${name} images`, split.images.byteLength, split.images);
  const labels = storageBuffer(gpu, `${name} labels`, split.labels.byteLength, split.labels);
  const identity = Uint32Array.from({ length: split.count }, (_, i) => i);
  const order = storageBuffer(gpu, `${name} order`, identity.byteLength, identity);
  return {
    count: split.count,
    pixels,
    floatPixels: split.images instanceof Float32Array,
    images,
    labels,
    order,
    release() {
      for (const b of [images, labels, order]) b.destroy();
    },
  };
}

/** scale[pixels] then shift[pixels]: the per-pixel map the gather kernel applies. */
export function affineWords(affine: { scale: Float32Array; shift: Float32Array }): Float32Array<ArrayBuffer> {
  const both = new Float32Array(2 * affine.scale.length);
  both.set(affine.scale, 0);
  both.set(affine.shift, affine.scale.length);
  return both;
}
