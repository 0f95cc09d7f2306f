import { ShapeError } from '../errors';
import { ACTIVATIONS, type Activation } from '../kernels/activation';
import { matmul } from '../kernels/matmul';
import { sumRows, sumRowsScratchBytes } from '../kernels/reduce';
import type { BackwardContext, Layer, LayerContext, ParamSpec, Shape } from './layer';
import type { TensorRef } from '../graph/program';

/** Options of `new Dense(...)`, as Keras' Dense(units, activation, name). Throws a ShapeError for a bad value. */
export interface DenseOptions {
  /** Output features. */
  units: number;
  /** Default 'linear'; 'softmax' only on the last layer (it is fused into the loss). */
  activation?: Activation | 'softmax';
  /** Default: `dense_<n>`, numbered by the model. */
  name?: string;
}

/**
 * y = act(x·W + b), with W stored [in, out] (Keras' kernel layout). 'softmax' is only meaningful on
 * the last layer, where the loss fuses it with cross-entropy; this layer then emits logits.
 */
export class Dense implements Layer {
  readonly type = 'dense' as const;
  readonly kind = 'Dense';
  readonly units: number;
  readonly activation: Activation | 'softmax';
  name: string;

  constructor(options: DenseOptions) {
    this.units = options.units;
    this.activation = options.activation ?? 'linear';
    this.name = options.name ?? '';
    if (!Number.isInteger(this.units) || this.units < 1) {
      throw new ShapeError(`${this.name || 'Dense'}: units must be a positive whole number, got ${this.units}.`);
    }
    if (!([...ACTIVATIONS, 'softmax'] as readonly string[]).includes(this.activation)) {
      throw new ShapeError(`${this.name || 'Dense'}: activation '${String(this.activation)}' is not one of ${[...ACTIVATIONS, 'softmax'].join(', ')}.`);
    }
  }

  toJSON() {
    return { type: this.type, name: this.name, units: this.units, activation: this.activation };
  }

  fusesInputGate(): boolean {
    return true;
  }

  outputShape(input: Shape): Shape {
    if (input.length !== 1) {
      throw new ShapeError(
        `${this.name}: Dense expects a flat input (features), got shape [${input.join(', ')}].`,
        'Add a Flatten layer before it.',
      );
    }
    return [this.units];
  }

  paramSpecs(input: Shape): ParamSpec[] {
    const fanIn = input[0]!;
    return [
      { name: 'kernel', shape: [fanIn, this.units], init: { kind: 'glorot-uniform', fanIn, fanOut: this.units } },
      { name: 'bias', shape: [this.units], init: { kind: 'zeros' } },
    ];
  }

  /** The activation the kernel applies: softmax belongs to the loss (or the predict program). */
  private get epilogueAct(): Activation {
    return this.activation === 'softmax' ? 'linear' : this.activation;
  }

  forward(ctx: LayerContext, x: TensorRef, y: TensorRef): void {
    const { gpu, batch, params } = ctx;
    const [k, n] = [ctx.input[0]!, this.units];
    ctx.program.op({
      label: `${this.name} forward`,
      reads: [x],
      writes: [y],
      build: async (bind) => [
        await matmul(gpu, { m: batch, n, k }, { a: bind(x), b: ctx.halfParams?.kernel ?? params.kernel!, c: bind(y) },
          { kind: 'bias-act', bias: params.bias!, act: this.epilogueAct }, `${this.name} forward`),
      ],
    });
  }

  backward(ctx: BackwardContext): void {
    const { gpu, batch, params, grads, x, dy, dx, gate } = ctx;
    const [inF, outF] = [ctx.input[0]!, this.units];
    if (dx) {
      ctx.program.op({
        label: `${this.name} grad input`,
        reads: gate ? [dy, gate.y] : [dy],
        writes: [dx],
        build: async (bind) => [
          await matmul(gpu, { m: batch, n: inF, k: outF, transB: true }, { a: bind(dy), b: ctx.halfParams?.kernel ?? params.kernel!, c: bind(dx) },
            gate ? { kind: 'gate', y: bind(gate.y), act: gate.act } : { kind: 'none' }, `${this.name} grad input`),
        ],
      });
    }
    const biasShape = { rows: batch, cols: outF };
    const sumBias = !ctx.biasGradDone;
    const partial = sumBias && sumRowsScratchBytes(biasShape) > 0 ? ctx.scratch('bias grad partial sums', sumRowsScratchBytes(biasShape)) : null;
    ctx.program.op({
      label: `${this.name} grad params`,
      reads: [x, dy],
      writes: partial ? [partial] : [],
      build: async (bind) => [
        await matmul(gpu, { m: inF, n: outF, k: batch, transA: true }, { a: bind(x), b: bind(dy), c: grads.kernel! },
          { kind: 'none' }, `${this.name} grad kernel`),
        ...(sumBias ? await sumRows(gpu, biasShape, { x: bind(dy), out: grads.bias!, ...(partial ? { scratch: bind(partial) } : {}) }) : []),
      ],
    });
  }
}
