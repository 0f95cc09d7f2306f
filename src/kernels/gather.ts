import type { Gpu } from '../gpu/device';
import { kernel, linearGrid, type Binding, type KernelCall } from '../gpu/kernel';

export interface GatherBindings {
  /** The split's images as stored: bytes, or f32 when `floatPixels` (see GpuSplit). */
  images: Binding;
  labels: Binding;
  /** The epoch's order of example indices. */
  order: Binding;
  /** scale[pixels] then shift[pixels]. */
  affine: Binding;
  x: Binding;
  y: Binding;
  step: GPUBuffer;
}

const WG = 256;

/** x[r] = pre-process(images[order[batchStart + r]]), y[r] = its label; see shaders/gather.wgsl. */
export function gatherBatch(gpu: Gpu, shape: { batch: number; pixels: number; floatPixels: boolean }, b: GatherBindings): Promise<KernelCall> {
  const { batch, pixels, floatPixels } = shape;
  const quads = pixels % 4 === 0;
  return kernel(gpu, {
    label: 'gather batch',
    shader: 'gather',
    entry: quads ? 'main_vec4' : 'main',
    constants: { PIXELS: pixels, BATCH: batch, WG, FLOAT_PIXELS: Number(floatPixels) },
    bindings: [b.images, b.labels, b.order, b.affine, b.x, b.y, { buffer: b.step }],
    workgroups: linearGrid((batch * pixels) / (quads ? 4 : 1), WG),
    flops: 2 * batch * pixels,
    bytes: batch * pixels * (floatPixels ? 8 : 5),
  });
}
