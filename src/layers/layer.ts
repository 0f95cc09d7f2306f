import type { Gpu } from '../gpu/device';
import type { Program, TensorRef } from '../graph/program';
import type { Activation } from '../kernels/activation';
import type { HalfOperand } from '../kernels/matmul';

/** A per-example shape (no batch axis): [features] or [height, width, channels]. */
export type Shape = readonly number[];

export const sizeOf = (shape: Shape): number => shape.reduce((a, b) => a * b, 1);
export const formatShape = (shape: Shape): string => `(${['None', ...shape].join(', ')})`;

/** A trainable tensor a layer owns. */
export interface ParamSpec {
  /** Unique within the layer; the built-in layers use Keras' names, 'kernel' and 'bias'. */
  readonly name: string;
  readonly shape: Shape;
  /** How compile() fills it: Glorot-uniform over fanIn and fanOut (Keras' kernel default), or zeros (biases). */
  readonly init: { kind: 'glorot-uniform'; fanIn: number; fanOut: number } | { kind: 'zeros' };
}

/** Where a layer's parameters (or their gradients) sit in the model's one parameter buffer. */
export type ParamBindings = Readonly<Record<string, GPUBufferBinding>>;

/** What a layer sees while it adds its ops to a program. */
export interface LayerContext {
  readonly gpu: Gpu;
  readonly program: Program;
  readonly batch: number;
  readonly input: Shape;
  readonly output: Shape;
  readonly params: ParamBindings;
  /**
   * The layer's tensors in the f16 copy of the parameters, in a mixed-precision training step
   * (products may read them instead of `params`), else null.
   */
  readonly halfParams: Readonly<Record<string, HalfOperand>> | null;
  /** The per-step uniform (step counter, active rows): see shaders/step.wgsl and kernels/step.ts. */
  readonly stepUniform: GPUBuffer;
  /** A stable index of the layer in its model, e.g. to give each dropout layer its own random stream. */
  readonly index: number;
  /**
   * The dropout layer right before this one, when this layer runs it (training only; offered to
   * layers whose `fusesInputDropout` says yes): forward applies it to x as it reads it, backward
   * applies its mask to dx, and it has no kernel or tensor of its own.
   */
  readonly inputDropout: FusedDropout | null;
  /**
   * A transient tensor private to this layer, e.g. max-pool's arg-max indices. The same name gives
   * the same tensor in forward and backward, so the planner keeps it alive from one to the other.
   */
  scratch(name: string, bytes: number): TensorRef;
}

/** A dropout layer folded into the next layer's kernels: its rate, and its random stream (its layer index). */
export interface FusedDropout {
  readonly rate: number;
  readonly stream: number;
}

/** The backward pass through an activation, fused into the kernel that produces an input gradient. */
export interface Gate {
  readonly act: Activation;
  /** The activation's forward output. */
  readonly y: TensorRef;
}

/** What a layer sees while it adds its backward ops: LayerContext plus the forward tensors and the gradients. */
export interface BackwardContext extends LayerContext {
  readonly x: TensorRef;
  readonly y: TensorRef;
  /** dL/dz for this layer's pre-activation output z: the activation's own gradient is already applied. */
  readonly dy: TensorRef;
  /** Where to write dL/dx, or null for the first layer (no one needs it). */
  readonly dx: TensorRef | null;
  /** Multiply dx by act'(gate.y): only passed to layers with `fusesInputGate`. */
  readonly gate: Gate | null;
  readonly grads: ParamBindings;
  /** The bias gradient is already written (the loss kernel summed dy's rows): a dense last layer in training. */
  readonly biasGradDone?: boolean;
}

/** The layer types of the JSON model format (see models/definition.ts), one per layer class. */
export type LayerType = 'dense' | 'conv2d' | 'maxpool2d' | 'dropout' | 'flatten';

/** Keras' name prefixes, for the names Sequential gives unnamed layers (`dense_1`, `conv2d_2`, ...). */
export const KERAS_NAME: Record<LayerType, string> = {
  dense: 'dense',
  conv2d: 'conv2d',
  maxpool2d: 'max_pooling2d',
  dropout: 'dropout',
  flatten: 'flatten',
};

/**
 * A layer of a Sequential model. Forward and backward live side by side: each adds ops (kernels
 * plus the tensors they touch) to a program, and the compiler's memory planner takes it from there.
 */
export interface Layer {
  /** The type in a JSON model definition, e.g. 'dense'. */
  readonly type: LayerType;
  /** Keras-style class name, e.g. 'Dense', for the summary table. */
  readonly kind: string;
  /** Unique within a model; Sequential names an unnamed layer as Keras does (`dense_1`). */
  name: string;
  /** The layer as a JSON model definition entry: the options it was built from, defaults filled in. */
  toJSON(): Record<string, unknown> & { type: LayerType; name: string };
  /** The activation fused into this layer's output ('linear' if none). */
  readonly activation: Activation | 'softmax';
  /** The output shape, or a ShapeError naming this layer. */
  outputShape(input: Shape): Shape;
  /**
   * The trainable tensors this layer needs for `input` (e.g. Dense: `kernel` [in, units] and
   * `bias` [units]), in the order they take in the model's parameter buffer; [] for none.
   */
  paramSpecs(input: Shape): ParamSpec[];
  /** True when the layer's output is its input, reinterpreted (flatten): no op, no memory. */
  readonly aliasesInput?: boolean;
  /** True when backward can fold an activation gradient into the dx it writes, for this input shape. */
  fusesInputGate?(input: Shape): boolean;
  /**
   * True when, for this input shape, the layer can run the dropout layer before it (see
   * LayerContext.inputDropout) and then also fuses the gradient of the activation before that.
   */
  fusesInputDropout?(input: Shape): boolean;
  /** Identity at inference (dropout): skipped in eval programs. */
  readonly trainingOnly?: boolean;
  /**
   * Set by a dropout layer: its rate. The compiler may hand it to the next layer to run inside
   * that layer's kernels (see fusesInputDropout), instead of giving it kernels of its own.
   */
  readonly dropoutRate?: number;
  /**
   * Adds the ops that compute `y` from `x` to `ctx.program` (called once while a program is
   * compiled, not per step). `training` is false in evaluation and predict programs.
   */
  forward(ctx: LayerContext, x: TensorRef, y: TensorRef, training: boolean): void;
  /** Adds the ops that write dL/dx (when `ctx.dx` is set) and this layer's parameter gradients (`ctx.grads`). */
  backward(ctx: BackwardContext): void;
}
