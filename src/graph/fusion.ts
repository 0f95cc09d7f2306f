import type { Activation } from '../kernels/activation';
import type { Layer, Shape } from '../layers/layer';

/**
 * The compiler's fusion decisions for one model and mode, made once before any op is emitted:
 *  - a dropout layer that the next layer runs inside its own kernels (training only; e.g. max-pool
 *    reads conv -> dropout -> pool's input once, applying the mask as it reads) gets no op, no
 *    tensor and no backward of its own;
 *  - the backward pass through an activation (dz = dy * act'(y)) is fused into the kernel that
 *    writes dy where that kernel can (matmul, conv, dropout, pool), else it is an op of its own;
 *  - the bias gradient of a dense last layer (the column sums of dL/dlogits) is written by the
 *    loss kernel, which has those values at hand, when the program's head can (training only).
 */
export interface FusionPlan {
  /** True when layer i is a dropout run by layer i + 1. */
  absorbed(i: number): boolean;
  /** True when layer i has no op in this mode: a reshape, an inference-time identity, or absorbed. */
  skipped(i: number): boolean;
  /** The dropout layer i runs on its input, if any (its rate, and its random stream: its index). */
  inputDropout(i: number): { rate: number; stream: number } | null;
  /**
   * The activation whose gradient must be applied to layer i's input gradient (that of the nearest
   * earlier layer with an op, looking through reshapes and absorbed dropouts), and whether layer i's
   * backward kernel applies it itself. Null when that activation is linear.
   */
  inputGate(i: number): { act: Activation; fused: boolean } | null;
  /** The layer whose bias gradient the loss head writes (a dense last layer), or -1. */
  readonly biasGradInHead: number;
}

/** `headSumsBias`: the program's loss head can write the column sums of dL/dlogits (ProgramTail.fusesBiasGrad). */
export function planFusion(layers: readonly Layer[], shapes: readonly Shape[], training: boolean, headSumsBias = false): FusionPlan {
  const absorbed = (i: number): boolean =>
    training && layers[i]?.dropoutRate !== undefined && !!layers[i + 1]?.fusesInputDropout?.(shapes[i + 1]!);
  const last = layers.length - 1;
  return {
    biasGradInHead: training && headSumsBias && layers[last]?.type === 'dense' ? last : -1,
    absorbed,
    skipped: (i) => !!layers[i]!.aliasesInput || (!training && !!layers[i]!.trainingOnly) || absorbed(i),
    inputDropout: (i) => (i > 0 && absorbed(i - 1) ? { rate: layers[i - 1]!.dropoutRate!, stream: i - 1 } : null),
    inputGate(i) {
      let p = i - 1;
      while (p >= 0 && (layers[p]!.aliasesInput || absorbed(p))) p--;
      const act = p >= 0 ? layers[p]!.activation : 'linear';
      if (act === 'linear' || act === 'softmax') return null;
      return { act, fused: !!layers[i]!.fusesInputGate?.(shapes[i]!) };
    },
  };
}
