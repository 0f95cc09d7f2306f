import type { Gpu } from '../gpu/device';
import { storageBuffer } from '../gpu/buffers';
import type { KernelCall } from '../gpu/kernel';
import { adamStep, adamUniformValues, optimizerUniform, sgdStep, sgdUniformValues } from '../kernels/optimizer';
import { UsageError } from '../errors';

/**
 * An optimiser updates the whole parameter buffer in one dispatch (parameters, gradients and its
 * own state share one layout; see graph/params.ts). Per-step values go through a 16-byte uniform
 * set before each step, so the dispatch itself never changes.
 */
export interface Optimizer {
  readonly name: OptimizerKind;
  readonly lr: number;
  /** The update's dispatch; with `paramsHalf`, it also rewrites the parameters' f16 copy (mixed precision). */
  build(params: GPUBuffer, grads: GPUBuffer, paramsHalf?: GPUBuffer | null): Promise<KernelCall>;
  /**
   * The per-step uniform the dispatch reads, and its 16 bytes for update number `t` (1 for the
   * first): the trainer stages them and copies them in before each step's pass.
   */
  readonly uniform: GPUBuffer;
  uniformValues(t: number): Float32Array;
  /** State tensors to checkpoint, by name, each with the parameter buffer's layout. */
  readonly state: Readonly<Record<string, GPUBuffer>>;
  release(): void;
}

/** The optimisers fit() takes by name, for validating user input. */
export const OPTIMIZERS = ['sgd', 'adam'] as const;
/**
 * 'sgd': plain SGD, p -= lr * g (no momentum, no weight decay). 'adam': Adam with Keras' defaults
 * (beta1 0.9, beta2 0.999, epsilon 1e-7). Both take `lr` from the fit settings.
 */
export type OptimizerKind = (typeof OPTIMIZERS)[number];

export function createOptimizer(gpu: Gpu, kind: OptimizerKind, lr: number, count: number): Optimizer {
  if (!(lr > 0) || !Number.isFinite(lr)) throw new UsageError(`The learning rate must be a number above 0, got ${lr}.`);
  const hyper = optimizerUniform(gpu);
  if (kind === 'sgd') {
    return {
      name: kind,
      lr,
      build: (params, grads, paramsHalf) => sgdStep(gpu, { count }, { params, grads, hyper, ...(paramsHalf ? { paramsHalf } : {}) }),
      uniform: hyper,
      uniformValues: () => sgdUniformValues({ lr }),
      state: {},
      release: () => hyper.destroy(),
    };
  }
  const m = storageBuffer(gpu, 'adam m', count * 4);
  const v = storageBuffer(gpu, 'adam v', count * 4);
  return {
    name: kind,
    lr,
    build: (params, grads, paramsHalf) => adamStep(gpu, { count }, { params, grads, m, v, hyper, ...(paramsHalf ? { paramsHalf } : {}) }),
    uniform: hyper,
    uniformValues: (t) => adamUniformValues({ lr, t }),
    state: { m, v },
    release: () => [hyper, m, v].forEach((b) => b.destroy()),
  };
}
