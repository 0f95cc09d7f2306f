import type { Gpu } from '../gpu/device';
import { GpuError } from '../errors';
import { encodeCalls, type KernelCall } from '../gpu/kernel';
import { mebibytes } from '../gpu/buffers';
import { activationBackward } from '../kernels/activation';
import { gatherBatch } from '../kernels/gather';
import type { GpuSplit } from '../data/gpu-dataset';
import { sizeOf, type Gate, type LayerContext } from '../layers/layer';
import type { Sequential } from '../models/sequential';
import { planFusion, type FusionPlan } from './fusion';
import { planMemory, type MemoryPlan } from './memory-plan';
import { layerBindings, layerHalves } from './params';
import { Program, type TensorRef } from './program';

/**
 * Turns a model into a program (ops over transient tensors), plans its memory, and builds every
 * kernel once. What comes out is a fixed list of dispatches: running a step is recording them into
 * one compute pass, with no allocation and no readback. The steps, each on its own below:
 * gather the batch, walk forward, add the head (loss or softmax), walk backward (training), add
 * the optimiser's update, plan the memory, build the kernels.
 */

/** What a program computes: a training step (forward, loss, backward, update), evaluation (forward and loss), or predict (forward and softmax). */
export type Mode = 'train' | 'eval' | 'predict';

/** The model's persistent buffers, shared by its train, eval and predict programs. */
export interface ModelBuffers {
  readonly params: GPUBuffer;
  /** Parameter gradients: training programs only. */
  readonly grads: GPUBuffer | null;
  /** The f16 copy of the parameters the training step's dense layers read (mixed precision), else null. */
  readonly paramsHalf?: GPUBuffer | null;
  readonly step: GPUBuffer;
  /** The pre-processing, scale[pixels] then shift[pixels], applied as batches are gathered. */
  readonly affine: GPUBuffer;
}

/** The ops that close a program: the loss (train, eval) or softmax (predict), and the update. */
export interface ProgramTail {
  /**
   * Adds the ops after the forward pass: the loss, or softmax. Returns dL/dlogits in train mode;
   * otherwise the tensor to expose as the program's output (e.g. probabilities), if any. Given
   * `biasGrad` (only when `fusesBiasGrad`, and the last layer is dense), the head also writes there
   * the column sums of dL/dlogits over the batch's rows: that layer's bias gradient.
   */
  head(program: Program, logits: TensorRef, labels: TensorRef, biasGrad?: GPUBufferBinding): TensorRef | null;
  /** The head writes the last dense layer's bias gradient when given its binding (train mode). */
  readonly fusesBiasGrad?: boolean;
  /** Adds ops after the backward pass (the optimiser step), train mode only. */
  update?(program: Program): void;
}

/** A program with its memory planned and every kernel built: a fixed list of dispatches for one batch size. */
export interface CompiledProgram {
  readonly mode: Mode;
  /** Examples per run: every buffer is sized for it (the last batch of an epoch may use fewer rows). */
  readonly batch: number;
  /** The dispatches of one run, in order. */
  readonly calls: readonly KernelCall[];
  /** Where the transient tensors live: bytes planned, and what one buffer per tensor would need. */
  readonly plan: MemoryPlan;
  /** The symbolic program the kernels were built from (ops, tensors, lifetimes). */
  readonly program: Program;
  /** The head's output (eval, predict): valid after the program ran, until it runs again. */
  readonly output: GPUBufferBinding | null;
  /** Records the whole program into `pass`. */
  encode(pass: GPUComputePassEncoder): void;
  /**
   * Frees the program's buffers; the model that compiled it calls this.
   * @internal
   */
  release(): void;
}

export interface CompileOptions {
  mode: Mode;
  batch: number;
  data: GpuSplit;
  tail: ProgramTail;
}

/** What the forward and backward walks share. */
interface Walk {
  readonly gpu: Gpu;
  readonly model: Sequential;
  readonly buffers: ModelBuffers;
  readonly program: Program;
  readonly batch: number;
  readonly fusion: FusionPlan;
  context(i: number): LayerContext;
}

export async function compile(gpu: Gpu, model: Sequential, buffers: ModelBuffers, options: CompileOptions): Promise<CompiledProgram> {
  const { mode, batch } = options;
  const training = mode === 'train';
  const program = new Program();
  const fusion = planFusion(model.layers, model.shapes, training, !!options.tail.fusesBiasGrad);
  const walk = walker(gpu, model, buffers, program, batch, fusion);

  const { x, labels } = gatherOp(walk, options.data);
  const acts = forward(walk, x, training);
  const biasGrad = fusion.biasGradInHead >= 0 && buffers.grads ? layerBindings(model.params, fusion.biasGradInHead, buffers.grads).bias : undefined;
  const headResult = options.tail.head(program, acts.at(-1)!, labels, biasGrad);
  if (training) {
    if (!headResult) throw new Error('A training program needs a loss that returns dL/dlogits.');
    backward(walk, acts, headResult);
    options.tail.update?.(program);
  }

  const plan = planMemory(program.lifetimes());
  checkLimits(gpu, model, plan, batch);
  const slots = gpu.scoped(`allocating ${model.name}'s ${mode} buffers at batch ${batch} (${mebibytes(plan.plannedBytes)})`, () =>
    plan.slotBytes.map((size, i) =>
      gpu.device.createBuffer({
        label: `${model.name} ${mode} slot ${i}`,
        size,
        usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
      }),
    ),
  );
  const bind = (t: TensorRef): GPUBufferBinding => {
    const slot = plan.slotOf.get(t.id);
    if (slot === undefined) throw new Error(`Tensor '${t.name}' is used by no op, so it has no place in the plan.`);
    return { buffer: slots[slot]!, offset: 0, size: Math.ceil(t.bytes / 4) * 4 };
  };
  const calls = (await Promise.all(program.ops.map((op) => op.build(bind)))).flat();

  return {
    mode,
    batch,
    calls,
    plan,
    program,
    output: !training && headResult ? bind(headResult) : null,
    encode: (pass) => encodeCalls(pass, calls),
    release: () => slots.forEach((b) => b.destroy()),
  };
}

function walker(gpu: Gpu, model: Sequential, buffers: ModelBuffers, program: Program, batch: number, fusion: FusionPlan): Walk {
  const { layers, shapes } = model;
  const scratch = new Map<string, TensorRef>();
  return {
    gpu,
    model,
    buffers,
    program,
    batch,
    fusion,
    context: (i) => ({
      gpu,
      program,
      batch,
      input: shapes[i]!,
      output: shapes[i + 1]!,
      params: layerBindings(model.params, i, buffers.params),
      halfParams: buffers.paramsHalf ? layerHalves(model.params, i, buffers.paramsHalf) : null,
      stepUniform: buffers.step,
      index: i,
      inputDropout: fusion.inputDropout(i),
      scratch(name, bytes) {
        const key = `${i}:${name}`;
        let t = scratch.get(key);
        if (!t) scratch.set(key, (t = program.tensor(`${layers[i]!.name} ${name}`, bytes)));
        return t;
      },
    }),
  };
}

/** The batch's inputs (pre-processed) and labels, gathered on the GPU from the resident split. */
function gatherOp({ gpu, program, batch, buffers, model }: Walk, data: GpuSplit): { x: TensorRef; labels: TensorRef } {
  const pixels = model.inputSize;
  const x = program.tensor('input', batch * pixels * 4);
  const labels = program.tensor('labels', batch * 4);
  program.op({
    label: 'gather batch',
    reads: [],
    writes: [x, labels],
    build: async (bind) => [
      await gatherBatch(gpu, { batch, pixels, floatPixels: data.floatPixels }, {
        images: data.images, labels: data.labels, order: data.order, affine: buffers.affine,
        x: bind(x), y: bind(labels), step: buffers.step,
      }),
    ],
  });
  return { x, labels };
}

/** The forward walk. acts[i] is layer i's input; a layer skipped here shares its input's tensor. */
function forward(walk: Walk, x: TensorRef, training: boolean): TensorRef[] {
  const { model, program, batch, fusion } = walk;
  const acts: TensorRef[] = [x];
  model.layers.forEach((layer, i) => {
    if (fusion.skipped(i)) {
      acts.push(acts[i]!);
      return;
    }
    const y = program.tensor(`${layer.name} output`, batch * sizeOf(model.shapes[i + 1]!) * 4);
    layer.forward(walk.context(i), acts[i]!, y, training);
    acts.push(y);
  });
  return acts;
}

/** The backward walk, from dL/dlogits. `grad` is always dL/dz for layer i's pre-activation output z. */
function backward(walk: Walk, acts: readonly TensorRef[], lossGrad: TensorRef): void {
  const { gpu, model, program, batch, fusion, buffers } = walk;
  const { layers, shapes } = model;
  if (!buffers.grads) throw new Error('A training program needs the gradient buffer.');
  const firstWithParams = layers.findIndex((_, i) => model.params.entries.some((e) => e.layer === i));
  let grad = lossGrad;
  for (let i = layers.length - 1; i >= 0; i--) {
    const layer = layers[i]!;
    if (layer.aliasesInput || fusion.absorbed(i)) continue;
    const gate = fusion.inputGate(i);
    const fused: Gate | null = gate?.fused ? { act: gate.act, y: acts[i]! } : null;
    const dx = i > firstWithParams ? program.tensor(`${layer.name} grad input`, batch * sizeOf(shapes[i]!) * 4) : null;
    layer.backward({
      ...walk.context(i), x: acts[i]!, y: acts[i + 1]!, dy: grad, dx, gate: fused, grads: layerBindings(model.params, i, buffers.grads),
      biasGradDone: fusion.biasGradInHead === i,
    });
    if (!dx) break;
    grad = gate && !gate.fused ? activationGradOp(gpu, program, gate.act, acts[i]!, dx, batch * sizeOf(shapes[i]!)) : dx;
  }
}

/** Refuses, before allocating anything, a program whose buffers the adapter cannot bind. */
function checkLimits(gpu: Gpu, model: Sequential, plan: MemoryPlan, batch: number): void {
  const limit = Math.min(gpu.limits.maxStorageBufferBindingSize, gpu.limits.maxBufferSize);
  const largest = Math.max(model.params.totalElements * 4, ...plan.slotBytes);
  if (largest > limit) {
    throw new GpuError(
      `${model.name} at batch ${batch} needs a ${mebibytes(largest)} buffer; this adapter's maxStorageBufferBindingSize is ${mebibytes(limit)}.`,
      'Use a smaller batch size, or a smaller model.',
    );
  }
}

/** dz = dy ⊙ act'(y) as its own op, for when the kernel that produced dy could not fuse it. */
function activationGradOp(gpu: Gpu, program: Program, act: Gate['act'], y: TensorRef, dy: TensorRef, count: number): TensorRef {
  const dz = program.tensor(`${y.name} grad pre-activation`, count * 4);
  program.op({
    label: `${act} backward`,
    reads: [y, dy],
    writes: [dz],
    build: async (bind) => [await activationBackward(gpu, act, count, bind(y), bind(dy), bind(dz))],
  });
  return dz;
}
