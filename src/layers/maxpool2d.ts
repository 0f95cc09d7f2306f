import { ShapeError } from '../errors';
import type { TensorRef } from '../graph/program';
import { maxPoolBackward, maxPoolForward, maxPoolGeometry, type MaxPoolShape } from '../kernels/maxpool';
import { sizeOf, type BackwardContext, type Layer, type LayerContext, type Shape } from './layer';

export interface MaxPoolOptions {
  poolSize?: number | readonly [number, number];
  strides?: number | readonly [number, number];
}

/** Max-pooling over 'valid' windows; the stride defaults to the pool size (Keras' MaxPooling2D). */
export class MaxPool2d implements Layer {
  readonly kind = 'MaxPooling2D';
  readonly activation = 'linear' as const;
  readonly pool: readonly [number, number];
  readonly stride: readonly [number, number];

  constructor(options: MaxPoolOptions = {}, readonly name = 'max_pooling2d') {
    const pair = (v: number | readonly [number, number]) => (typeof v === 'number' ? ([v, v] as const) : v);
    this.pool = pair(options.poolSize ?? 2);
    this.stride = pair(options.strides ?? this.pool);
  }

  private shape(input: Shape): MaxPoolShape {
    if (input.length !== 3) {
      throw new ShapeError(`${this.name}: MaxPooling2D expects an image input (height, width, channels), got shape [${input.join(', ')}].`);
    }
    const [h, w, c] = input as [number, number, number];
    return { h, w, c, ph: this.pool[0], pw: this.pool[1], sh: this.stride[0], sw: this.stride[1] };
  }

  outputShape(input: Shape): Shape {
    try {
      const g = maxPoolGeometry(this.shape(input));
      return [g.oh, g.ow, g.c];
    } catch (e) {
      if (e instanceof ShapeError && !e.message.startsWith(this.name)) throw new ShapeError(`${this.name}: ${e.message}`);
      throw e;
    }
  }

  paramSpecs() {
    return [];
  }

  forward(ctx: LayerContext, x: TensorRef, y: TensorRef): void {
    const shape = this.shape(ctx.input);
    const argmax = ctx.scratch('argmax', ctx.batch * sizeOf(ctx.output) * 4);
    ctx.program.op({
      label: `${this.name} forward`,
      reads: [x],
      writes: [y, argmax],
      build: async (bind) => [
        await maxPoolForward(ctx.gpu, shape, ctx.batch, { x: bind(x), y: bind(y), argmax: bind(argmax) }, `${this.name} forward`),
      ],
    });
  }

  backward(ctx: BackwardContext): void {
    const { dx, dy } = ctx;
    if (!dx) return;
    const shape = this.shape(ctx.input);
    const argmax = ctx.scratch('argmax', ctx.batch * sizeOf(ctx.output) * 4);
    ctx.program.op({
      label: `${this.name} grad`,
      reads: [dy, argmax],
      writes: [dx],
      build: async (bind) => [
        await maxPoolBackward(ctx.gpu, shape, ctx.batch, { dy: bind(dy), argmax: bind(argmax), dx: bind(dx) }, `${this.name} grad`),
      ],
    });
  }
}
