/**
 * Optimiser steps: one elementwise dispatch over a model's whole parameter buffer.
 *
 * A model keeps every parameter in one f32 buffer, the gradients in a second with the same
 * layout (and Adam's m and v in two more), so a step is a single kernel over `count` = the total
 * parameter count, whatever the tensors. Values that change between steps (the learning rate, and
 * Adam's bias correction) live in a 16-byte uniform the training loop rewrites before each step's
 * submit with `writeSgdStep` / `writeAdamStep`: no pipeline or bind group is made per step.
 *
 *   const hyper = optimizerUniform(gpu);
 *   const step = await adamStep(gpu, { count }, { params, grads, m, v, hyper });
 *   // each step: writeAdamStep(gpu, hyper, { lr, t }); then submit [...backward, step]
 */
import { uniformBuffer, writeBuffer } from '../gpu/buffers';
import type { Gpu } from '../gpu/device';
import { kernel, linearGrid, strideGrid, type Binding, type KernelCall } from '../gpu/kernel';

const WG = 256;
/**
 * SGD's update loops over a strideGrid up to this many items (vec4s or scalars), one item per lane
 * past it: bench/grid-probe.ts measured the loop 8-29 % faster at one-hidden's 25,456 vec4s and 0-14 %
 * slower at the mlp's 141,872 (operands past the caches, where strided lanes defeat prefetching).
 */
const SGD_STRIDE_MAX_ITEMS = 65_536;

/** Keras' Adam defaults. */
export const ADAM_DEFAULTS = { beta1: 0.9, beta2: 0.999, epsilon: 1e-7 } as const;

export interface AdamHyperparameters {
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

export interface SgdBindings {
  /** Updated in place. */
  params: Binding;
  grads: Binding;
  /** The per-step uniform, from `optimizerUniform`. */
  hyper: Binding;
  /**
   * Mixed precision: the parameters' f16 copy (kernels/half.ts), written with each update. Needs a
   * count divisible by 4, as a model's parameter buffer always is.
   */
  paramsHalf?: Binding;
}

export interface AdamBindings extends SgdBindings {
  /** First and second moments, same layout as `params`, zero before the first step; updated in place. */
  m: Binding;
  v: Binding;
}

/** The per-step uniform either optimiser reads (one f32, padded to 16 bytes). */
export function optimizerUniform(gpu: Gpu, label = 'optimizer step'): GPUBuffer {
  return uniformBuffer(gpu, label, 16);
}

/** p -= lr * g over `count` parameters (Keras' SGD without momentum); lr comes from `hyper`. */
export async function sgdStep(gpu: Gpu, shape: { count: number }, io: SgdBindings): Promise<KernelCall> {
  const { count } = shape;
  checkCount(count);
  checkHalf(count, io.paramsHalf);
  return kernel(gpu, {
    label: `sgd step [${count}]${io.paramsHalf ? ' f16 copy' : ''}`,
    shader: 'sgd',
    entry: io.paramsHalf ? 'main_vec4_half' : count % 4 === 0 ? 'main_vec4' : 'main',
    constants: { COUNT: count, WG },
    bindings: [io.params, io.grads, io.hyper, ...(io.paramsHalf ? [io.paramsHalf] : [])],
    workgroups: sgdGrid(count % 4 === 0 ? count / 4 : count),
    flops: 2 * count,
    bytes: (io.paramsHalf ? 14 : 12) * count,
  });
}

/** sgd.wgsl loops, so any grid is correct; this is the faster one on lavapipe (SGD_STRIDE_MAX_ITEMS). */
function sgdGrid(items: number): [number, number] {
  return items <= SGD_STRIDE_MAX_ITEMS ? strideGrid(items, WG) : linearGrid(items, WG);
}

/** The 16 bytes of the uniform `sgdStep` reads, for learning rate `lr`. */
export function sgdUniformValues(step: { lr: number }): Float32Array<ArrayBuffer> {
  return Float32Array.of(step.lr, 0, 0, 0);
}

/** Sets the learning rate the next `sgdStep` dispatch uses. */
export function writeSgdStep(gpu: Gpu, hyper: Binding, step: { lr: number }): void {
  writeBuffer(gpu, hyper, sgdUniformValues(step));
}

/**
 * One Keras Adam step over `count` parameters, in place on params, m and v; see shaders/adam.wgsl
 * for the formula. Pass the same betas to `writeAdamStep`.
 */
export async function adamStep(gpu: Gpu, config: { count: number } & AdamHyperparameters, io: AdamBindings): Promise<KernelCall> {
  const { count, beta1 = ADAM_DEFAULTS.beta1, beta2 = ADAM_DEFAULTS.beta2, epsilon = ADAM_DEFAULTS.epsilon } = config;
  checkCount(count);
  checkHalf(count, io.paramsHalf);
  if (!(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1)) throw new Error(`Adam: betas must be in [0, 1), got ${beta1}, ${beta2}`);
  return kernel(gpu, {
    label: `adam step [${count}]${io.paramsHalf ? ' f16 copy' : ''}`,
    shader: 'adam',
    // vec4 bindings must cover every element, so four at a time only when they divide the count.
    entry: io.paramsHalf ? 'main_vec4_half' : count % 4 === 0 ? 'main_vec4' : 'main',
    constants: {
      COUNT: count,
      BETA1: beta1,
      BETA2: beta2,
      EPSILON: epsilon,
      // In float64 here: in f32, 1 - f32(0.999) is 1.3e-5 away from 0.001.
      ONE_MINUS_BETA1: 1 - beta1,
      ONE_MINUS_BETA2: 1 - beta2,
      WG,
    },
    bindings: [io.params, io.grads, io.m, io.v, io.hyper, ...(io.paramsHalf ? [io.paramsHalf] : [])],
    workgroups: linearGrid(count % 4 === 0 ? count / 4 : count, WG),
    flops: 13 * count,
    bytes: (io.paramsHalf ? 30 : 28) * count,
  });
}

/** Adam's step size for step `t` (1-based): lr * sqrt(1 - beta2^t) / (1 - beta1^t), in float64. */
export function adamAlpha(lr: number, t: number, beta1: number = ADAM_DEFAULTS.beta1, beta2: number = ADAM_DEFAULTS.beta2): number {
  if (!Number.isInteger(t) || t < 1) throw new Error(`Adam: the step t counts from 1, got ${t}`);
  // At t = 1, 1 - beta2^t cancels three digits: harmless among float64's 16, not among f32's 7.
  return (lr * Math.sqrt(1 - beta2 ** t)) / (1 - beta1 ** t);
}

/** The 16 bytes of the uniform `adamStep` reads for step `t` (1 for the first) at learning rate `lr`. */
export function adamUniformValues(step: { lr: number; t: number } & Omit<AdamHyperparameters, 'epsilon'>): Float32Array<ArrayBuffer> {
  return Float32Array.of(adamAlpha(step.lr, step.t, step.beta1, step.beta2), 0, 0, 0);
}

/** Sets the next `adamStep` dispatch to be step `t` (1 for the first) at learning rate `lr`. */
export function writeAdamStep(gpu: Gpu, hyper: Binding, step: { lr: number; t: number } & Omit<AdamHyperparameters, 'epsilon'>): void {
  writeBuffer(gpu, hyper, adamUniformValues(step));
}

function checkHalf(count: number, paramsHalf: Binding | undefined): void {
  if (paramsHalf && count % 4 !== 0) throw new Error(`optimizer: an f16 copy needs a count divisible by 4, got ${count}`);
}

function checkCount(count: number): void {
  if (!Number.isInteger(count) || count < 1 || count > 0xffffffff) throw new Error(`optimizer: count must be a positive u32, got ${count}`);
}
