import type { Gpu } from '../gpu/device';
import { kernel, linearGrid, type Binding, type KernelCall } from '../gpu/kernel';
import { UsageError } from '../errors';
import { ACTIVATION_CODE, unusedBinding, type Activation } from './activation';

export interface DropoutSpec {
  /** Fraction dropped, in [0, 1). */
  rate: number;
  /** Elements. */
  count: number;
  /** The layer's id, so that two dropout layers draw independent masks in the same step. */
  stream: number;
}

/** Elements the dropout mask keeps iff the top 24 bits of their hash lane are >= this. */
export function dropoutThreshold(rate: number): number {
  return Math.ceil(rate * 2 ** 24);
}

const WG = 256;
const PER_INVOCATION = 4; // elements per pcg4d hash (fixed in the shader)

/** Throws a UsageError for a rate outside [0, 1) or a stream that is not a u32. */
export function checkDropout({ rate, stream }: Pick<DropoutSpec, 'rate' | 'stream'>): void {
  if (!(rate >= 0 && rate < 1)) throw new UsageError(`Dropout rate must be in [0, 1); got ${rate}.`);
  if (!Number.isInteger(stream) || stream < 0 || stream > 0xffffffff) throw new UsageError(`Dropout stream must be a u32; got ${stream}.`);
}

function dropoutCall(gpu: Gpu, spec: DropoutSpec, mode: 'apply' | 'apply_in_place', bindings: Binding[], label: string, gateAct: Activation = 'linear'): Promise<KernelCall> {
  const { rate, count, stream } = spec;
  checkDropout(spec);
  return kernel(gpu, {
    label: `${label} p=${rate} n=${count}`,
    shader: 'dropout',
    // vec4 bindings must cover every element, so the vec4 entry points need COUNT % 4 == 0.
    entry: count % PER_INVOCATION === 0 ? `${mode}_vec4` : mode,
    constants: { COUNT: count, STREAM: stream, THRESHOLD: dropoutThreshold(rate), SCALE: 1 / (1 - rate), GATE_ACT: ACTIVATION_CODE[gateAct], WG },
    bindings,
    workgroups: linearGrid(Math.ceil(count / PER_INVOCATION), WG),
    flops: count,
    bytes: 8 * count,
  });
}

/**
 * y = x ⊙ mask / (1 - rate): inverted dropout, see shaders/dropout.wgsl. `step` is the per-step
 * uniform of shaders/step.wgsl (./step.ts); the mask depends on its `seed` and `step` and on
 * `spec.stream`, and is recomputed, never stored.
 */
export function dropoutForward(gpu: Gpu, spec: DropoutSpec, io: { step: Binding; x: Binding; y: Binding }): Promise<KernelCall> {
  return dropoutCall(gpu, spec, 'apply', [io.step, io.y, io.x, unusedBinding(gpu)], 'dropout forward');
}

/**
 * dx = dy ⊙ mask / (1 - rate), with the forward pass's mask: record it in the same step (the same
 * uniform values). With `gate`, also ⊙ act'(gate.y): the gradient continues through the activation
 * that produced the dropout's input, in the same dispatch.
 */
export function dropoutBackward(
  gpu: Gpu, spec: DropoutSpec, io: { step: Binding; dy: Binding; dx: Binding }, gate?: { y: Binding; act: Activation },
): Promise<KernelCall> {
  return dropoutCall(gpu, spec, 'apply', [io.step, io.dx, io.dy, gate?.y ?? unusedBinding(gpu)], 'dropout backward', gate?.act);
}

/** data ⊙= mask / (1 - rate), in place: forward (data = x) or backward (data = dy), same mask. */
export function dropoutInPlace(gpu: Gpu, spec: DropoutSpec, io: { step: Binding; data: Binding }): Promise<KernelCall> {
  return dropoutCall(gpu, spec, 'apply_in_place', [io.step, io.data], 'dropout in place');
}
