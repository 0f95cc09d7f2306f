import { ShapeError } from '../errors';
import type { TensorRef } from '../graph/program';
import { ACTIVATIONS, type Activation } from '../kernels/activation';
import { conv2dBackwardFilter, conv2dBackwardInput, conv2dForward, conv2dGeometry, type Conv2dPadding, type Conv2dShape } from '../kernels/conv2d';
import { sumRows, sumRowsScratchBytes } from '../kernels/reduce';
import type { BackwardContext, Layer, LayerContext, ParamSpec, Shape } from './layer';

/** Options of `new Conv2d(...)`, as Keras' Conv2D(filters, kernel_size, strides, padding, activation). Throws a ShapeError for a bad value. */
export interface Conv2dOptions {
  /** Output channels. */
  filters: number;
  /** Square (one number) or [height, width]. */
  kernelSize: number | readonly [number, number];
  /** Default 1. */
  stride?: number;
  /** Default 'valid' (no padding); 'same' keeps height x width at stride 1. */
  padding?: Conv2dPadding;
  /** Default 'linear'. */
  activation?: Activation;
  /** Default: `conv2d_<n>`, numbered by the model. */
  name?: string;
}

/** 2-D convolution over NHWC input with HWIO weights and a fused bias + activation (Keras' Conv2D). */
export class Conv2d implements Layer {
  readonly type = 'conv2d' as const;
  readonly kind = 'Conv2D';
  readonly filters: number;
  readonly kernelSize: number | readonly [number, number];
  readonly stride: number;
  readonly padding: Conv2dPadding;
  readonly activation: Activation;
  readonly kh: number;
  readonly kw: number;
  name: string;

  constructor(options: Conv2dOptions) {
    this.name = options.name ?? '';
    this.filters = options.filters;
    this.kernelSize = options.kernelSize;
    this.stride = options.stride ?? 1;
    this.padding = options.padding ?? 'valid';
    this.activation = options.activation ?? 'linear';
    const [kh, kw] = typeof options.kernelSize === 'number' ? [options.kernelSize, options.kernelSize] : options.kernelSize;
    for (const [what, v] of [['filters', this.filters], ['kernelSize', kh], ['kernelSize', kw], ['stride', this.stride]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new ShapeError(`${this.name || 'Conv2d'}: ${what} must be a positive whole number, got ${v}.`);
    }
    if (!ACTIVATIONS.includes(this.activation)) throw new ShapeError(`${this.name || 'Conv2d'}: activation '${String(this.activation)}' is not one of ${ACTIVATIONS.join(', ')}.`);
    if (this.padding !== 'valid' && this.padding !== 'same') throw new ShapeError(`${this.name || 'Conv2d'}: padding must be 'valid' or 'same', got '${String(this.padding)}'.`);
    this.kh = kh;
    this.kw = kw;
  }

  toJSON() {
    const kernelSize = this.kh === this.kw ? this.kh : [this.kh, this.kw];
    return { type: this.type, name: this.name, filters: this.filters, kernelSize, stride: this.stride, padding: this.padding, activation: this.activation };
  }

  private shape(input: Shape): Conv2dShape {
    if (input.length !== 3) {
      throw new ShapeError(`${this.name}: Conv2D expects an image input (height, width, channels), got shape [${input.join(', ')}].`);
    }
    const [h, w, cin] = input as [number, number, number];
    return { h, w, cin, kh: this.kh, kw: this.kw, cout: this.filters, stride: this.stride, padding: this.padding };
  }

  fusesInputGate(): boolean {
    return true;
  }

  outputShape(input: Shape): Shape {
    try {
      const g = conv2dGeometry(this.shape(input));
      return [g.oh, g.ow, g.cout];
    } catch (e) {
      if (e instanceof ShapeError && !e.message.startsWith(this.name)) throw new ShapeError(`${this.name}: ${e.message}`);
      throw e;
    }
  }

  paramSpecs(input: Shape): ParamSpec[] {
    const { kh, kw, cin, cout } = this.shape(input);
    return [
      { name: 'kernel', shape: [kh, kw, cin, cout], init: { kind: 'glorot-uniform', fanIn: kh * kw * cin, fanOut: kh * kw * cout } },
      { name: 'bias', shape: [cout], init: { kind: 'zeros' } },
    ];
  }

  forward(ctx: LayerContext, x: TensorRef, y: TensorRef): void {
    const { gpu, batch, params } = ctx;
    const shape = this.shape(ctx.input);
    ctx.program.op({
      label: `${this.name} forward`,
      reads: [x],
      writes: [y],
      build: async (bind) => [
        await conv2dForward(gpu, shape, batch, { x: bind(x), w: params.kernel!, y: bind(y) },
          { kind: 'bias-act', bias: params.bias!, act: this.activation }, `${this.name} forward`),
      ],
    });
  }

  backward(ctx: BackwardContext): void {
    const { gpu, batch, params, grads, x, dy, dx, gate } = ctx;
    const shape = this.shape(ctx.input);
    const [oh, ow, cout] = ctx.output as [number, number, number];
    if (dx) {
      ctx.program.op({
        label: `${this.name} grad input`,
        reads: gate ? [dy, gate.y] : [dy],
        writes: [dx],
        build: async (bind) => [
          await conv2dBackwardInput(gpu, shape, batch, { dy: bind(dy), w: params.kernel!, dx: bind(dx) },
            gate ? { kind: 'gate', y: bind(gate.y), act: gate.act } : { kind: 'none' }, `${this.name} grad input`),
        ],
      });
    }
    const biasShape = { rows: batch * oh * ow, cols: cout };
    const partial = sumRowsScratchBytes(biasShape) > 0 ? ctx.scratch('bias grad partial sums', sumRowsScratchBytes(biasShape)) : null;
    ctx.program.op({
      label: `${this.name} grad params`,
      reads: [x, dy],
      writes: partial ? [partial] : [],
      build: async (bind) => [
        await conv2dBackwardFilter(gpu, shape, batch, { x: bind(x), dy: bind(dy), dw: grads.kernel! }, `${this.name} grad kernel`),
        ...(await sumRows(gpu, biasShape, { x: bind(dy), out: grads.bias!, ...(partial ? { scratch: bind(partial) } : {}) })),
      ],
    });
  }
}
