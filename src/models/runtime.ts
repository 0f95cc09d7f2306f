import type { Gpu } from '../gpu/device';
import { mebibytes, readF32, storageBuffer, writeBuffer } from '../gpu/buffers';
import { submitCalls } from '../gpu/kernel';
import type { DataSplit } from '../data/dataset';
import { affineWords, uploadSplit, type GpuSplit } from '../data/gpu-dataset';
import type { PixelAffine } from '../data/preprocess';
import { GpuError, UsageError } from '../errors';
import { compile, type CompiledProgram, type ModelBuffers } from '../graph/compile';
import type { Program, TensorRef } from '../graph/program';
import { fill, glorotUniform } from '../kernels/init';
import { clearMetrics, metricsBuffer, readMetrics, type Metrics, type MetricsBuffer } from '../kernels/metrics';
import { softmaxPredict, softmaxXentEvaluate } from '../kernels/softmax-xent';
import { stepUniform, writeStepUniform } from '../kernels/step';
import type { Sequential } from './sequential';

/** Loss, accuracy and confusion matrix of a model on a set of labelled examples. */
export interface Evaluation extends Metrics {
  /** confusion[true * classes + predicted]: counts. */
  confusion: Uint32Array;
  /** Class probabilities [examples, classes], when asked for. */
  probabilities?: Float32Array;
}

/** Rows per evaluation batch unless asked otherwise. */
export const EVAL_BATCH = 500;

/**
 * What a compiled model keeps on its GPU: its parameters, the per-step uniform, the pre-processing,
 * the splits it has seen (uploaded once each) and its compiled inference programs (built once per
 * split and batch size). Training adds gradients and optimiser state in its Trainer; evaluation
 * and prediction need none of that.
 */
export class ModelRuntime {
  readonly buffers: ModelBuffers;
  #affine: PixelAffine | null = null;
  readonly #uploads = new Map<DataSplit, GpuSplit>();
  readonly #evaluators = new Map<string, { split: DataSplit; program: CompiledProgram; metrics: MetricsBuffer }>();
  readonly #predictors = new Map<number, { input: GpuSplit; program: CompiledProgram }>();
  /** Split objects get ids for the program cache's keys. */
  readonly #ids = new WeakMap<DataSplit, number>();
  #nextId = 0;

  private constructor(
    readonly gpu: Gpu,
    readonly model: Sequential,
  ) {
    const pixels = model.inputSize;
    this.buffers = {
      params: storageBuffer(gpu, `${model.name} params`, model.params.totalElements * 4),
      grads: null,
      step: stepUniform(gpu),
      affine: storageBuffer(gpu, `${model.name} pre-processing`, 8 * pixels),
    };
  }

  /** Allocates the parameters on `gpu` and fills them: from `weights`, else Glorot-uniform from `seed`. */
  static async create(gpu: Gpu, model: Sequential, seed: number, weights: Float32Array | null): Promise<ModelRuntime> {
    checkParamsFit(gpu, model);
    const runtime = new ModelRuntime(gpu, model);
    if (weights) runtime.writeParams(weights);
    else await initializeParams(gpu, model, runtime.buffers.params, seed);
    await gpu.settle(`allocating ${model.name}'s parameters`);
    return runtime;
  }

  get affine(): PixelAffine | null {
    return this.#affine;
  }

  /** Sets the pre-processing batches are gathered with. */
  setAffine(affine: PixelAffine): void {
    if (affine.scale.length !== this.model.inputSize || affine.shift.length !== this.model.inputSize) {
      throw new UsageError(`The pre-processing has ${affine.scale.length} values per example; ${this.model.name} takes ${this.model.inputSize}.`);
    }
    this.#affine = affine;
    writeBuffer(this.gpu, this.buffers.affine, affineWords(affine));
  }

  /** `split` on the GPU, uploaded on first use and kept until release(). */
  upload(split: DataSplit, name: string): GpuSplit {
    let gpuSplit = this.#uploads.get(split);
    if (!gpuSplit) this.#uploads.set(split, (gpuSplit = uploadSplit(this.gpu, name, split, this.model.inputSize)));
    return gpuSplit;
  }

  /** Loss, accuracy and confusion matrix over `split`; with the class probabilities if asked. */
  async evaluate(split: DataSplit, options: { batchSize?: number; probabilities?: boolean; name?: string } = {}): Promise<Evaluation> {
    const { gpu, model } = this;
    const { program, metrics } = await this.evaluator(split, options.batchSize ?? EVAL_BATCH, options.name ?? 'evaluation');
    const n = split.count;
    const batch = program.batch;
    const classes = model.classes;
    const all = options.probabilities ? storageBuffer(gpu, 'probabilities', n * classes * 4) : null;
    const start = gpu.device.createCommandEncoder({ label: 'evaluation start' });
    clearMetrics(start, metrics);
    gpu.device.queue.submit([start.finish()]);
    for (let s = 0; s * batch < n; s++) {
      const rows = Math.min(batch, n - s * batch);
      writeStepUniform(gpu, this.buffers.step, { step: 0, batchStart: s * batch, rows, seed: 0 });
      gpu.scoped(`evaluating images ${s * batch}-${s * batch + rows - 1}`, () => {
        const encoder = gpu.device.createCommandEncoder();
        const pass = encoder.beginComputePass();
        program.encode(pass);
        pass.end();
        if (all && program.output) encoder.copyBufferToBuffer(program.output.buffer, program.output.offset ?? 0, all, s * batch * classes * 4, rows * classes * 4);
        gpu.device.queue.submit([encoder.finish()]);
      });
    }
    const result = await readMetrics(gpu, metrics);
    await gpu.settle(`evaluating ${model.name}`);
    const probabilities = all ? await readF32(gpu, all, n * classes) : undefined;
    all?.destroy();
    return { ...result, confusion: result.confusion!, ...(probabilities ? { probabilities } : {}) };
  }

  /** Class probabilities [count, classes] for `images` (count x inputSize values), batch by batch. */
  async predict(images: Uint8Array | Float32Array, count: number, batchSize: number): Promise<Float32Array> {
    const { gpu, model } = this;
    const classes = model.classes;
    const size = model.inputSize;
    const out = new Float32Array(count * classes);
    const result = storageBuffer(gpu, 'predictions', count * classes * 4);
    const batch = Math.min(batchSize, count);
    const float = images instanceof Float32Array;
    const { input, program } = await this.predictor(batch, float);
    for (let start = 0; start < count; start += batch) {
      const rows = Math.min(batch, count - start);
      writeBuffer(gpu, input.images, images.subarray(start * size, (start + rows) * size));
      writeStepUniform(gpu, this.buffers.step, { step: 0, batchStart: 0, rows, seed: 0 });
      gpu.scoped(`predicting images ${start}-${start + rows - 1}`, () => {
        const encoder = gpu.device.createCommandEncoder();
        const pass = encoder.beginComputePass();
        program.encode(pass);
        pass.end();
        encoder.copyBufferToBuffer(program.output!.buffer, program.output!.offset ?? 0, result, start * classes * 4, rows * classes * 4);
        gpu.device.queue.submit([encoder.finish()]);
      });
    }
    await gpu.settle(`predicting with ${model.name}`);
    out.set(await readF32(gpu, result, count * classes));
    result.destroy();
    return out;
  }

  /** The parameter buffer, as stored (see graph/params.ts for the layout). */
  readParams(): Promise<Float32Array> {
    return readF32(this.gpu, this.buffers.params, this.model.params.totalElements);
  }

  writeParams(values: Float32Array): void {
    if (values.length !== this.model.params.totalElements) {
      throw new UsageError(`Expected ${this.model.params.totalElements} parameter values for ${this.model.name}, got ${values.length}.`);
    }
    writeBuffer(this.gpu, this.buffers.params, values);
  }

  release(): void {
    for (const e of this.#evaluators.values()) {
      e.program.release();
      e.metrics.buffer.destroy();
    }
    for (const p of this.#predictors.values()) {
      p.program.release();
      p.input.release();
    }
    for (const s of this.#uploads.values()) s.release();
    this.#evaluators.clear();
    this.#predictors.clear();
    this.#uploads.clear();
    for (const b of [this.buffers.params, this.buffers.step, this.buffers.affine]) b.destroy();
  }

  private async evaluator(split: DataSplit, batchSize: number, name: string) {
    let id = this.#ids.get(split);
    if (id === undefined) this.#ids.set(split, (id = this.#nextId++));
    const batch = Math.min(batchSize, split.count);
    const key = `${id}:${batch}`;
    let e = this.#evaluators.get(key);
    if (e) return e;
    const { gpu, model, buffers } = this;
    const classes = model.classes;
    const metrics = metricsBuffer(gpu, classes, { confusion: true, label: `${name} metrics` });
    const program = await compile(gpu, model, buffers, {
      mode: 'eval',
      batch,
      data: this.upload(split, name),
      tail: {
        head(p: Program, logits: TensorRef, labels: TensorRef) {
          const probs = p.tensor('probabilities', logits.bytes);
          p.op({
            label: 'softmax cross-entropy (evaluate)',
            reads: [logits, labels],
            writes: [probs],
            build: async (bind) => [
              await softmaxXentEvaluate(gpu, { batch, classes }, { logits: bind(logits), labels: bind(labels), step: buffers.step, metrics, probs: bind(probs) }),
            ],
          });
          return probs;
        },
      },
    });
    this.#evaluators.set(key, (e = { split, program, metrics }));
    return e;
  }

  /** The predict program at `batch` rows, reading a one-batch input split that predict() fills. */
  private async predictor(batch: number, float: boolean) {
    const key = batch * 2 + Number(float);
    let p = this.#predictors.get(key);
    if (p) return p;
    const { gpu, model, buffers } = this;
    const size = model.inputSize;
    const blank: DataSplit = { images: float ? new Float32Array(batch * size) : new Uint8Array(batch * size), labels: new Uint32Array(batch), count: batch };
    const input = uploadSplit(gpu, 'predict input', blank, size);
    const classes = model.classes;
    const program = await compile(gpu, model, buffers, {
      mode: 'predict',
      batch,
      data: input,
      tail: {
        head(prog: Program, logits: TensorRef) {
          const probs = prog.tensor('probabilities', logits.bytes);
          prog.op({
            label: 'softmax',
            reads: [logits],
            writes: [probs],
            build: async (bind) => [await softmaxPredict(gpu, { batch, classes }, { logits: bind(logits), step: buffers.step, probs: bind(probs) })],
          });
          return probs;
        },
      },
    });
    this.#predictors.set(key, (p = { input, program }));
    return p;
  }
}

/** Glorot-uniform weights and zero biases, from the seed; one submit. */
export async function initializeParams(gpu: Gpu, model: Sequential, params: GPUBuffer, seed: number): Promise<void> {
  const calls = await Promise.all(
    model.params.entries.map((e, tensorId) =>
      e.spec.init.kind === 'glorot-uniform'
        ? glorotUniform(gpu, { seed, tensorId, fanIn: e.spec.init.fanIn, fanOut: e.spec.init.fanOut, count: e.count, offset: e.offset }, params)
        : fill(gpu, { count: e.count, offset: e.offset }, params),
    ),
  );
  submitCalls(gpu, calls);
}

/**
 * Refuses, before anything is allocated, a model whose parameters do not fit in one buffer the
 * adapter can bind (they live in one), naming the largest layer: a typed error, not a failed
 * allocation or an overflowing count later.
 */
function checkParamsFit(gpu: Gpu, model: Sequential): void {
  const limit = Math.min(gpu.limits.maxStorageBufferBindingSize, gpu.limits.maxBufferSize);
  const bytes = model.params.totalElements * 4;
  if (bytes <= limit) return;
  const perLayer = new Map<string, number>();
  for (const e of model.params.entries) perLayer.set(e.layerName, (perLayer.get(e.layerName) ?? 0) + e.count);
  const [layer, count] = [...perLayer].reduce((a, b) => (b[1] > a[1] ? b : a));
  throw new GpuError(
    `${model.name} has ${model.paramCount.toLocaleString('en-US')} parameters (${mebibytes(bytes)}); this adapter binds at most ${mebibytes(limit)} in one buffer. ` +
      `The largest layer, ${layer}, has ${count.toLocaleString('en-US')}.`,
    'Use fewer units or filters (a Dense layer after Flatten has input size x units weights), or pool more before it.',
  );
}
