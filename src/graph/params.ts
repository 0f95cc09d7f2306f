import type { HalfOperand } from '../kernels/matmul';
import type { Layer, ParamSpec, Shape } from '../layers/layer';
import { sizeOf } from '../layers/layer';

/**
 * All of a model's parameters live in one f32 buffer, each tensor at an offset; gradients and
 * optimiser moments use buffers with the same layout. So an optimiser step is one dispatch over
 * the whole buffer, and a checkpoint is one read.
 */
export interface ParamEntry {
  /** The layer's index in the model's `layers`. */
  readonly layer: number;
  readonly layerName: string;
  readonly spec: ParamSpec;
  /** Offset in f32 elements; a multiple of ALIGN_ELEMENTS so it can be bound on its own. */
  readonly offset: number;
  /** Elements of the tensor: the product of `spec.shape`. */
  readonly count: number;
}

/**
 * Where each parameter tensor of a model sits in its one f32 parameter buffer (Sequential.params),
 * and so in the Float32Array `getWeights()` returns: tensor `e` is
 * `weights.subarray(e.offset, e.offset + e.count)`, row-major in `e.spec.shape`.
 */
export interface ParamLayout {
  /** One per parameter tensor, in layer order, then each layer's paramSpecs order. */
  readonly entries: readonly ParamEntry[];
  /** Elements in the buffer, padding included (padding stays zero and gets zero gradient). */
  readonly totalElements: number;
  /** Trainable values, padding excluded. */
  readonly paramCount: number;
}

/** 256 bytes: WebGPU's minStorageBufferOffsetAlignment on every adapter we know of. */
export const ALIGN_ELEMENTS = 64;

export function layoutParams(layers: readonly Layer[], inputs: readonly Shape[]): ParamLayout {
  const entries: ParamEntry[] = [];
  let offset = 0;
  layers.forEach((layer, i) => {
    for (const spec of layer.paramSpecs(inputs[i]!)) {
      const count = sizeOf(spec.shape);
      entries.push({ layer: i, layerName: layer.name, spec, offset, count });
      offset += Math.ceil(count / ALIGN_ELEMENTS) * ALIGN_ELEMENTS;
    }
  });
  return { entries, totalElements: offset, paramCount: entries.reduce((s, e) => s + e.count, 0) };
}

/** One layer's tensors within the f16 copy of the parameters (kernels/half.ts): the same offsets, in halves. */
export function layerHalves(layout: ParamLayout, layer: number, half: GPUBuffer): Record<string, HalfOperand> {
  const out: Record<string, HalfOperand> = {};
  for (const e of layout.entries) {
    if (e.layer === layer) out[e.spec.name] = { half, offset: e.offset };
  }
  return out;
}

/** The bindings of one layer's tensors within `buffer` (the parameters, or their gradients). */
export function layerBindings(layout: ParamLayout, layer: number, buffer: GPUBuffer): Record<string, GPUBufferBinding> {
  const out: Record<string, GPUBufferBinding> = {};
  for (const e of layout.entries) {
    if (e.layer === layer) out[e.spec.name] = { buffer, offset: e.offset * 4, size: e.count * 4 };
  }
  return out;
}
