import { ShapeError } from '../errors';
import type { TensorRef } from '../graph/program';
import { dropoutBackward, dropoutForward } from '../kernels/dropout';
import { sizeOf, type BackwardContext, type Layer, type LayerContext, type Shape } from './layer';

/** Options of `new Dropout(...)`, as Keras' Dropout(rate). Throws a ShapeError for a rate outside [0, 1). */
export interface DropoutOptions {
  /** The fraction of values dropped while training, in [0, 1). */
  rate: number;
  /** Default: `dropout_<n>`, numbered by the model. */
  name?: string;
}

/**
 * Inverted dropout: while training, keep each value with probability 1 - rate and scale it by
 * 1 / (1 - rate); at inference, the identity (the layer is skipped). The mask is never stored:
 * backward recomputes it from the same seed, step and layer index (shaders/dropout.wgsl).
 */
export class Dropout implements Layer {
  readonly type = 'dropout' as const;
  readonly kind = 'Dropout';
  readonly activation = 'linear' as const;
  readonly trainingOnly = true;
  readonly rate: number;
  name: string;

  constructor(options: DropoutOptions) {
    this.rate = options.rate;
    this.name = options.name ?? '';
    if (!(this.rate >= 0 && this.rate < 1)) throw new ShapeError(`${this.name || 'Dropout'}: rate must be at least 0 and below 1, got ${this.rate}.`);
  }

  get dropoutRate(): number {
    return this.rate;
  }

  toJSON() {
    return { type: this.type, name: this.name, rate: this.rate };
  }

  fusesInputGate(): boolean {
    return true;
  }

  outputShape(input: Shape): Shape {
    return input;
  }

  paramSpecs() {
    return [];
  }

  private spec(ctx: LayerContext) {
    return { rate: this.rate, count: ctx.batch * sizeOf(ctx.input), stream: ctx.index };
  }

  forward(ctx: LayerContext, x: TensorRef, y: TensorRef): void {
    ctx.program.op({
      label: `${this.name} forward`,
      reads: [x],
      writes: [y],
      build: async (bind) => [await dropoutForward(ctx.gpu, this.spec(ctx), { step: { buffer: ctx.stepUniform }, x: bind(x), y: bind(y) })],
    });
  }

  backward(ctx: BackwardContext): void {
    const { dx, dy, gate } = ctx;
    if (!dx) return;
    ctx.program.op({
      label: `${this.name} grad`,
      reads: gate ? [dy, gate.y] : [dy],
      writes: [dx],
      build: async (bind) => [
        await dropoutBackward(ctx.gpu, this.spec(ctx), { step: { buffer: ctx.stepUniform }, dy: bind(dy), dx: bind(dx) }, gate ? { y: bind(gate.y), act: gate.act } : undefined),
      ],
    });
  }
}
