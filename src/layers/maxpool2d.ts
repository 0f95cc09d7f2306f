import { ShapeError } from '../errors';
import type { TensorRef } from '../graph/program';
import { maxPoolBackward, maxPoolForward, maxPoolGeometry, maxPoolPlan, type MaxPoolShape } from '../kernels/maxpool';
import { sizeOf, type BackwardContext, type Layer, type LayerContext, type Shape } from './layer';

/** Options of `new MaxPool2d(...)`, as Keras' MaxPooling2D(pool_size, strides). Throws a ShapeError for a bad value. */
export interface MaxPool2dOptions {
  /** Square (one number) or [height, width]; default 2. */
  poolSize?: number | readonly [number, number];
  /** Default: the pool size (windows that do not overlap). */
  stride?: number | readonly [number, number];
  /** Default: `max_pooling2d_<n>`, numbered by the model. */
  name?: string;
}

/** Max-pooling over 'valid' windows; the stride defaults to the pool size (Keras' MaxPooling2D). */
export class MaxPool2d implements Layer {
  readonly type = 'maxpool2d' as const;
  readonly kind = 'MaxPooling2D';
  readonly activation = 'linear' as const;
  readonly pool: readonly [number, number];
  readonly stride: readonly [number, number];
  name: string;

  constructor(options: MaxPool2dOptions = {}) {
    this.name = options.name ?? '';
    const pair = (v: number | readonly [number, number]) => (typeof v === 'number' ? ([v, v] as const) : v);
    this.pool = pair(options.poolSize ?? 2);
    this.stride = pair(options.stride ?? this.pool);
    for (const [what, v] of [['poolSize', this.pool[0]], ['poolSize', this.pool[1]], ['stride', this.stride[0]], ['stride', this.stride[1]]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new ShapeError(`${this.name || 'MaxPool2d'}: ${what} must be a positive whole number, got ${v}.`);
    }
  }

  toJSON() {
    const one = (p: readonly [number, number]) => (p[0] === p[1] ? p[0] : [...p]);
    return { type: this.type, name: this.name, poolSize: one(this.pool), stride: one(this.stride) };
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

  /** The vec4 kernels (C % 4 == 0, windows that do not overlap) fuse an activation gradient and a dropout before the pool. */
  fusesInputGate(input: Shape): boolean {
    const shape = this.shape(input);
    return maxPoolPlan(shape, 1, 'forward').vec4 && maxPoolPlan(shape, 1, 'backward').vec4;
  }

  fusesInputDropout(input: Shape): boolean {
    return this.fusesInputGate(input);
  }

  forward(ctx: LayerContext, x: TensorRef, y: TensorRef): void {
    const shape = this.shape(ctx.input);
    const argmax = ctx.scratch('argmax', ctx.batch * sizeOf(ctx.output) * 4);
    ctx.program.op({
      label: `${this.name} forward`,
      reads: [x],
      writes: [y, argmax],
      build: async (bind) => [
        await maxPoolForward(ctx.gpu, shape, ctx.batch, { x: bind(x), y: bind(y), argmax: bind(argmax) }, `${this.name} forward`, {}, {
          ...(ctx.inputDropout ? { dropout: { ...ctx.inputDropout, step: { buffer: ctx.stepUniform } } } : {}),
        }),
      ],
    });
  }

  backward(ctx: BackwardContext): void {
    const { dx, dy, gate, inputDropout } = ctx;
    if (!dx) return;
    const shape = this.shape(ctx.input);
    const argmax = ctx.scratch('argmax', ctx.batch * sizeOf(ctx.output) * 4);
    ctx.program.op({
      label: `${this.name} grad`,
      reads: gate ? [dy, argmax, gate.y] : [dy, argmax],
      writes: [dx],
      build: async (bind) => [
        await maxPoolBackward(ctx.gpu, shape, ctx.batch, { dy: bind(dy), argmax: bind(argmax), dx: bind(dx) }, `${this.name} grad`, {}, {
          ...(inputDropout ? { dropout: { ...inputDropout, step: { buffer: ctx.stepUniform } } } : {}),
          ...(gate ? { gate: { y: bind(gate.y), act: gate.act } } : {}),
        }),
      ],
    });
  }
}
