import type { Gpu } from '../gpu/device';
import { readBytes, storageBuffer } from '../gpu/buffers';

/**
 * Running metrics of an epoch (or an evaluation), accumulated on the GPU by the softmax
 * cross-entropy kernels (shaders/softmax_xent.wgsl documents the layout and why it is exact) and read
 * back once, at the end. Clear it at the start of the epoch; keep one per split (train, validation).
 *
 * Layout, in u32 words: [0] loss sum, fraction bits (units of 2^-32); [1] loss sum, integer part;
 * [2] rows; [3] correct; [4] invalid rows; [5..7] reserved; [8 .. 8 + C*C) confusion matrix.
 */
export interface MetricsBuffer {
  readonly buffer: GPUBuffer;
  readonly classes: number;
  /** Whether the buffer holds, and the kernels fill, the C x C confusion matrix. */
  readonly confusion: boolean;
}

export interface Metrics {
  /** Active rows seen. */
  rows: number;
  /** Σ per-row loss over the rows that had a finite loss (exact to 2^-32 per row). */
  lossSum: number;
  /** lossSum / rows, or NaN if any row was invalid (as Keras shows `nan` once the model diverges). */
  meanLoss: number;
  /** Rows whose first argmax equals the label. */
  correct: number;
  accuracy: number;
  /** Rows with a NaN, infinite or >= 2^32 loss, or a label >= classes: in `rows` but in no other sum. */
  invalid: number;
  /** Row-major [classes, classes], row = true class, column = predicted; when the buffer has one. */
  confusion?: Uint32Array;
}

export const METRICS_HEADER_WORDS = 8;

/** Bytes of a metrics buffer for `classes` classes. */
export function metricsBytes(classes: number, confusion: boolean): number {
  return 4 * (METRICS_HEADER_WORDS + (confusion ? classes * classes : 0));
}

/** A zeroed metrics buffer. */
export function metricsBuffer(gpu: Gpu, classes: number, options: { confusion?: boolean; label?: string } = {}): MetricsBuffer {
  const confusion = options.confusion ?? false;
  const buffer = storageBuffer(gpu, options.label ?? 'metrics', metricsBytes(classes, confusion));
  return { buffer, classes, confusion };
}

/** Records the reset into `encoder` (outside any pass), e.g. ahead of the epoch's first step. */
export function clearMetrics(encoder: GPUCommandEncoder, metrics: MetricsBuffer): void {
  encoder.clearBuffer(metrics.buffer);
}

/** Resets the accumulators now, in a command buffer of its own. */
export function resetMetrics(gpu: Gpu, metrics: MetricsBuffer): void {
  const encoder = gpu.device.createCommandEncoder({ label: 'reset metrics' });
  clearMetrics(encoder, metrics);
  gpu.device.queue.submit([encoder.finish()]);
}

/** Reads the accumulators back: waits for the GPU, so once per epoch. */
export async function readMetrics(gpu: Gpu, metrics: MetricsBuffer): Promise<Metrics> {
  const words = new Uint32Array(await readBytes(gpu, metrics.buffer, metricsBytes(metrics.classes, metrics.confusion)));
  return decodeMetrics(words, metrics.classes, metrics.confusion);
}

/** Decodes the words of a metrics buffer (see `MetricsBuffer` for the layout). */
export function decodeMetrics(words: Uint32Array, classes: number, confusion: boolean): Metrics {
  const [lo = 0, hi = 0, rows = 0, correct = 0, invalid = 0] = words;
  // Exact in float64 while the integer part stays below 2^21 (2 million), ~35x a 60,000-image epoch at loss 1.
  const lossSum = hi + lo / 2 ** 32;
  const result: Metrics = {
    rows,
    lossSum,
    meanLoss: invalid > 0 ? Number.NaN : rows > 0 ? lossSum / rows : Number.NaN,
    correct,
    accuracy: rows > 0 ? correct / rows : Number.NaN,
    invalid,
  };
  if (confusion) result.confusion = words.slice(METRICS_HEADER_WORDS, METRICS_HEADER_WORDS + classes * classes);
  return result;
}
