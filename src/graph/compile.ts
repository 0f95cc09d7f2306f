import type { Gpu } from '../gpu/device';
import { GpuError } from '../errors';
import { encodeCalls, type KernelCall } from '../gpu/kernel';
import { mebibytes } from '../gpu/buffers';
import { activationBackward } from '../kernels/activation';
import { gatherBatch } from '../kernels/gather';
import type { GpuSplit } from '../data/gpu-dataset';
import { Dropout } from '../layers/dropout';
import { sizeOf, type Gate, type Layer, type LayerContext } from '../layers/layer';
import type { Sequential } from '../models/sequential';
import { planMemory, type MemoryPlan } from './memory-plan';
import { layerBindings } from './params';
import { Program, type TensorRef } from './program';

/**
 * Turns a model into a program (ops over transient tensors), plans its memory, and builds every
 * kernel once. What comes out is a fixed list of dispatches: running a step is recording them into
 * one compute pass, with no allocation and no readback.
 */

export type Mode = 'train' | 'eval' | 'predict';

/** The model's persistent buffers, shared by its train, eval and predict programs. */
export interface ModelBuffers {
  readonly params: GPUBuffer;
  readonly grads: GPUBuffer;
  readonly step: GPUBuffer;
}

/** The ops that close a program: the loss (train, eval) or softmax (predict), and the update. */
export interface ProgramTail {
  /**
   * Adds the ops after the forward pass: the loss, or softmax. Returns dL/dlogits in train mode;
   * otherwise the tensor to expose as the program's output (e.g. probabilities), if any.
   */
  head(program: Program, logits: TensorRef, labels: TensorRef): TensorRef | null;
  /** Adds ops after the backward pass (the optimiser step), train mode only. */
  update?(program: Program): void;
}

export interface CompiledProgram {
  readonly mode: Mode;
  readonly batch: number;
  readonly calls: readonly KernelCall[];
  readonly plan: MemoryPlan;
  /** The symbolic program the kernels were built from (ops, tensors, lifetimes). */
  readonly program: Program;
  /** The head's output (eval, predict): valid after the program ran, until it runs again. */
  readonly output: GPUBufferBinding | null;
  /** Records the whole program into `pass`. */
  encode(pass: GPUComputePassEncoder): void;
  release(): void;
}

export interface CompileOptions {
  mode: Mode;
  batch: number;
  data: GpuSplit;
  tail: ProgramTail;
}

export async function compile(gpu: Gpu, model: Sequential, buffers: ModelBuffers, options: CompileOptions): Promise<CompiledProgram> {
  const { mode, batch, data } = options;
  const training = mode === 'train';
  const program = new Program();
  const { layers, shapes } = model;

  const x = program.tensor('input', batch * sizeOf(shapes[0]!) * 4);
  const labels = program.tensor('labels', batch * 4);
  program.op({
    label: 'gather batch',
    reads: [],
    writes: [x, labels],
    build: async (bind) => [
      await gatherBatch(gpu, { batch, pixels: sizeOf(shapes[0]!) }, {
        images: data.images, labels: data.labels, order: data.order, affine: data.affine,
        x: bind(x), y: bind(labels), step: buffers.step,
      }),
    ],
  });

  // A dropout layer the next layer runs inside its own kernels (training only): it gets no op, no
  // tensor and no backward of its own (e.g. max-pool reads conv -> dropout -> pool's input once).
  const absorbed = (i: number): boolean => training && layers[i] instanceof Dropout && !!layers[i + 1]?.fusesInputDropout?.(shapes[i + 1]!);
  const scratch = new Map<string, TensorRef>();
  const context = (i: number): LayerContext => ({
    gpu,
    program,
    batch,
    input: shapes[i]!,
    output: shapes[i + 1]!,
    params: layerBindings(model.params, i, buffers.params),
    stepUniform: buffers.step,
    index: i,
    inputDropout: i > 0 && absorbed(i - 1) ? { rate: (layers[i - 1] as Dropout).rate, stream: i - 1 } : null,
    scratch(name, bytes) {
      const key = `${i}:${name}`;
      let t = scratch.get(key);
      if (!t) scratch.set(key, (t = program.tensor(`${layers[i]!.name} ${name}`, bytes)));
      return t;
    },
  });

  // Forward. acts[i] is layer i's input; a layer that is an identity here shares its input's tensor.
  const skipped = (l: Layer, i: number) => l.aliasesInput || (!training && l.trainingOnly) || absorbed(i);
  const acts: TensorRef[] = [x];
  layers.forEach((layer, i) => {
    if (skipped(layer, i)) {
      acts.push(acts[i]!);
      return;
    }
    const y = program.tensor(`${layer.name} output`, batch * sizeOf(shapes[i + 1]!) * 4);
    layer.forward(context(i), acts[i]!, y, training);
    acts.push(y);
  });

  const logits = acts.at(-1)!;
  const headResult = options.tail.head(program, logits, labels);
  let grad = headResult;

  if (training) {
    if (!grad) throw new Error('A training program needs a loss that returns dL/dlogits.');
    // Backward. `grad` is always dL/dz for layer i's pre-activation output z.
    const firstWithParams = layers.findIndex((_, i) => model.params.entries.some((e) => e.layer === i));
    for (let i = layers.length - 1; i >= 0; i--) {
      const layer = layers[i]!;
      if (layer.aliasesInput || absorbed(i)) continue;
      const needsDx = i > firstWithParams;
      // The activation that produced this layer's input, looking through free reshapes and a dropout it runs.
      let p = i - 1;
      while (p >= 0 && (layers[p]!.aliasesInput || absorbed(p))) p--;
      const producerAct = p >= 0 ? layers[p]!.activation : 'linear';
      const gateAct = producerAct === 'linear' || producerAct === 'softmax' ? null : producerAct;
      const fused: Gate | null = gateAct && layer.fusesInputGate?.(shapes[i]!) ? { act: gateAct, y: acts[i]! } : null;

      const dx = needsDx ? program.tensor(`${layer.name} grad input`, batch * sizeOf(shapes[i]!) * 4) : null;
      layer.backward({
        ...context(i),
        x: acts[i]!,
        y: acts[i + 1]!,
        dy: grad,
        dx,
        gate: fused,
        grads: layerBindings(model.params, i, buffers.grads),
      });
      if (!dx) break;
      grad = dx;
      if (gateAct && !fused) grad = activationGradOp(gpu, program, gateAct, acts[i]!, dx, batch * sizeOf(shapes[i]!));
    }
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

/** Refuses, before allocating anything, a program whose buffers the adapter cannot bind. */
function checkLimits(gpu: Gpu, model: Sequential, plan: MemoryPlan, batch: number): void {
  const limit = Math.min(gpu.limits.maxStorageBufferBindingSize, gpu.limits.maxBufferSize);
  const largest = Math.max(model.params.totalElements * 4, ...plan.slotBytes);
  if (largest > limit) {
    throw new GpuError(
      `${model.name} at batch ${batch} needs a ${mebibytes(largest)} buffer; this adapter's maxStorageBufferBindingSize is ${mebibytes(limit)}.`,
      'Use a smaller --batch-size, or a smaller model.',
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
