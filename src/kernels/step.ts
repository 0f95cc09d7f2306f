import type { Gpu } from '../gpu/device';
import { uniformBuffer } from '../gpu/buffers';

/**
 * The CPU side of shaders/step.wgsl's `Step`: the 16 bytes every step-dependent kernel reads
 * (gather: which examples; dropout: which mask; softmax cross-entropy: how many rows are real).
 * The training loop rewrites it before each step; no pipeline or bind group ever changes.
 */
export interface StepValues {
  /** The training step, from 0: each step draws fresh dropout masks. */
  step: number;
  /** First position of the batch in the epoch's order. */
  batchStart: number;
  /** Rows of the batch that hold data (<= the batch the kernels were built for). */
  rows: number;
  /** The run's seed: the same seed and step give the same masks on any device. */
  seed: number;
}

export const STEP_UNIFORM_BYTES = 16;

export function stepUniform(gpu: Gpu, label = 'step'): GPUBuffer {
  return uniformBuffer(gpu, label, STEP_UNIFORM_BYTES);
}

/** The uniform's 16 bytes for `v`, e.g. to stage several steps' values at once (see Trainer). */
export function stepUniformValues(v: StepValues): Uint32Array<ArrayBuffer> {
  return new Uint32Array([v.step >>> 0, v.batchStart >>> 0, v.rows >>> 0, v.seed >>> 0]);
}

export function writeStepUniform(gpu: Gpu, buffer: GPUBuffer, v: StepValues): void {
  gpu.device.queue.writeBuffer(buffer, 0, stepUniformValues(v));
}
