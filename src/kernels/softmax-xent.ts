import type { Gpu } from '../gpu/device';
import { kernel, linearGrid, type Binding, type KernelCall } from '../gpu/kernel';
import { ShapeError } from '../errors';
import type { MetricsBuffer } from './metrics';
import { unusedBinding } from './activation';
import { SUM_ROWS_CHUNK } from './reduce';

/**
 * Fused softmax + categorical cross-entropy; see shaders/softmax_xent.wgsl. Each call is specialised
 * on the buffers' batch size; the active rows of each batch come from the step uniform's `rows`
 * (shaders/step.wgsl), so a short last batch reuses the same pipeline and bind group.
 */
export interface SoftmaxXentShape {
  /** Rows the buffers hold. */
  batch: number;
  classes: number;
}

export interface SoftmaxXentBindings {
  /** f32 [batch, classes]. */
  logits: Binding;
  /** u32 [batch], each < classes (a label >= classes counts as invalid and gets no gradient). */
  labels: Binding;
  /** The per-step uniform of shaders/step.wgsl; its `rows` field is read. */
  step: Binding;
  /** Where the loss sum, the counts and the confusion matrix accumulate. */
  metrics: MetricsBuffer;
}

const WG = 64;

function call(
  gpu: Gpu, shape: SoftmaxXentShape, entry: 'train' | 'evaluate' | 'predict', bindings: Binding[], confusion: boolean, what: string,
  biasGrad = false,
): Promise<KernelCall> {
  const { batch, classes } = shape;
  if (!(batch >= 1 && classes >= 1)) throw new ShapeError(`${what}: batch ${batch} and classes ${classes} must be >= 1.`);
  return kernel(gpu, {
    label: `${what} ${batch}x${classes}${biasGrad ? ' + bias grad' : ''}`,
    shader: 'softmax_xent',
    entry,
    constants: { B: batch, C: classes, CONFUSION: Number(confusion), WG, BIAS_GRAD: Number(biasGrad), SUM_CHUNK: SUM_ROWS_CHUNK },
    bindings,
    // The fused bias gradient sums across rows: one workgroup, whose lanes share the rows.
    workgroups: biasGrad ? [1, 1] : linearGrid(batch, WG),
    flops: (biasGrad ? 7 : 6) * batch * classes,
    bytes: 4 * ((biasGrad ? 3 : 2) * batch * classes + batch),
  });
}

function checkMetrics(what: string, shape: SoftmaxXentShape, metrics: MetricsBuffer): void {
  if (metrics.classes !== shape.classes) {
    throw new ShapeError(`${what}: the metrics buffer is for ${metrics.classes} classes, the logits have ${shape.classes}.`);
  }
}

/**
 * Training step's loss: writes dL/dlogits = (softmax - onehot) / rows (zero for inactive rows) and
 * adds the batch's loss, correct count (and confusion cells) to `metrics`. With `biasGrad`, also
 * writes there the column sums of dL/dlogits over all `batch` rows (the bias gradient of the dense
 * layer that produced the logits), bit for bit what `sumRows` of the gradient gives.
 */
export function softmaxXentTrain(
  gpu: Gpu, shape: SoftmaxXentShape, io: SoftmaxXentBindings & { grad: Binding; biasGrad?: Binding }, label = 'softmax-xent train',
): Promise<KernelCall> {
  checkMetrics(label, shape, io.metrics);
  const bindings = [io.logits, io.step, io.grad, io.labels, io.metrics.buffer, io.biasGrad ?? unusedBinding(gpu)];
  return call(gpu, shape, 'train', bindings, io.metrics.confusion, label, !!io.biasGrad);
}

/**
 * Validation or test batch: writes the probabilities of the active rows and adds to `metrics`; no
 * gradient. `probs` may be any [batch, classes] scratch, e.g. the training gradient's buffer.
 */
export function softmaxXentEvaluate(gpu: Gpu, shape: SoftmaxXentShape, io: SoftmaxXentBindings & { probs: Binding }, label = 'softmax-xent evaluate'): Promise<KernelCall> {
  checkMetrics(label, shape, io.metrics);
  return call(gpu, shape, 'evaluate', [io.logits, io.step, io.probs, io.labels, io.metrics.buffer], io.metrics.confusion, label);
}

/** Inference: probs = softmax(logits) for the active rows; rows past them are left untouched. */
export function softmaxPredict(gpu: Gpu, shape: SoftmaxXentShape, io: { logits: Binding; step: Binding; probs: Binding }, label = 'softmax'): Promise<KernelCall> {
  return call(gpu, shape, 'predict', [io.logits, io.step, io.probs], false, label);
}
