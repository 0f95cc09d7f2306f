import type { Gpu } from '../gpu/device';
import { readF32, readU32, storageBuffer, writeBuffer } from '../gpu/buffers';
import { submitCalls } from '../gpu/kernel';
import type { FashionMnist, Split } from '../data/fashion-mnist';
import { uploadSplit, type GpuSplit } from '../data/gpu-dataset';
import { fitStandardScaler, scale01Affine, standardScalerAffine, type PixelAffine } from '../data/preprocess';
import { permutation } from '../data/shuffle';
import { DivergedError, GpuError, ShapeError, UsageError } from '../errors';
import { compile, type CompiledProgram, type ModelBuffers } from '../graph/compile';
import type { Program, TensorRef } from '../graph/program';
import { fill, glorotUniform } from '../kernels/init';
import { clearMetrics, decodeMetrics, metricsBuffer, readMetrics, type Metrics, type MetricsBuffer } from '../kernels/metrics';
import { softmaxXentEvaluate, softmaxXentTrain } from '../kernels/softmax-xent';
import { stepUniform, writeStepUniform } from '../kernels/step';
import type { Preprocessing } from '../models/seed-models';
import type { Sequential } from '../models/sequential';
import { createOptimizer, type Optimizer, type OptimizerKind } from '../optim/optimizer';

export interface TrainOptions {
  batchSize: number;
  lr: number;
  optimizer: OptimizerKind;
  seed: number;
  preprocessing: Preprocessing;
  /** Hold out this fraction of the training set (its last examples, as Keras' validation_split); 0: validate on the test set. */
  validationSplit?: number;
  /** Train on only the first N training examples (quick runs, tests). */
  trainLimit?: number;
  /** Evaluate on only the first N test examples. */
  testLimit?: number;
  /** Rows per evaluation batch; default 500. */
  evalBatch?: number;
  /** Use this pre-processing instead of fitting one (e.g. the one saved with trained weights). */
  affine?: PixelAffine;
}

export interface Evaluation extends Metrics {
  confusion: Uint32Array;
  /** Class probabilities [examples, classes], when asked for. */
  probabilities?: Float32Array;
}

export interface StepProgress {
  step: number;
  steps: number;
  images: number;
  /** The epoch's mean loss so far, from a read that never waits for the GPU (lags a few steps). */
  runningLoss?: number;
}

/** A run's resumable state (see exportState). */
export interface TrainerState {
  params: Float32Array;
  /** The optimiser's state tensors by name (Adam: m, v), in the parameter layout. */
  optimizer: Record<string, Float32Array>;
  /** Steps taken: drives dropout's random stream. */
  globalStep: number;
  /** Optimiser updates taken: Adam's t. */
  updates: number;
  /** Set when the state was taken inside an epoch (one stopped by requestStop): how far it got. */
  epochProgress?: EpochProgress;
}

/** A position inside an epoch, from which the epoch continues exactly as if never stopped. */
export interface EpochProgress {
  /** Steps of the epoch already taken. */
  step: number;
  /** The epoch's loss and accuracy accumulators so far, the words of its GPU metrics buffer. */
  metrics: Uint32Array;
}

/** What an epoch did; `interruptedAfter` is set when requestStop() ended it early. */
export interface EpochMetrics extends Metrics {
  /** Wall time of the epoch's training steps, in seconds, summed over its continuations in this trainer. */
  seconds: number;
  /** Steps taken before the epoch stopped (its metrics cover only those). */
  interruptedAfter?: number;
}

/** A compiled evaluation over one split, with its own metric accumulators. */
interface Evaluator {
  readonly split: GpuSplit;
  readonly program: CompiledProgram;
  readonly metrics: MetricsBuffer;
}

/** Steps recorded between waits for the GPU: bounds queued work without stalling the GPU. */
const STEPS_PER_FLUSH = 8;

/**
 * Owns everything a training run keeps on the GPU: the data, the parameters and their gradients,
 * the optimiser state, the metric accumulators and the compiled programs. After `create`, an epoch
 * records precompiled dispatches and writes 16-byte uniforms; it reads back only at its end.
 */
export class Trainer {
  private globalStep = 0;
  private updates = 0;

  private constructor(
    readonly gpu: Gpu,
    readonly model: Sequential,
    readonly options: Readonly<TrainOptions>,
    readonly affine: PixelAffine,
    readonly trainSplit: GpuSplit,
    private readonly buffers: ModelBuffers,
    readonly optimizer: Optimizer,
    readonly trainProgram: CompiledProgram,
    private readonly trainMetrics: MetricsBuffer,
    private readonly validation: Evaluator,
    /** The test set: the validation evaluator itself unless a slice of training data validates. */
    private readonly test: Evaluator,
  ) {
    this.peeks = [0, 1].map(() => ({
      buffer: gpu.device.createBuffer({ label: 'metrics peek', size: trainMetrics.buffer.size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST }),
      busy: false,
    }));
  }

  /** Staging buffers for progress reads that never stall a step: a copy is mapped only when idle. */
  private readonly peeks: { buffer: GPUBuffer; busy: boolean }[];

  static async create(gpu: Gpu, model: Sequential, data: FashionMnist, options: TrainOptions): Promise<Trainer> {
    checkBatchFits(options.batchSize, data.train.count, options.trainLimit, options.validationSplit ?? 0);
    const { train, validation, test } = splitData(data, options);
    const pixels = data.rows * data.cols;
    const inputs = model.inputSize;
    if (inputs !== pixels || model.classes !== data.classes.length) {
      throw new ShapeError(
        `${model.name} takes ${inputs} inputs and predicts ${model.classes} classes; the data has ${data.rows}x${data.cols} = ${pixels} pixels per image and ${data.classes.length} classes.`,
        `Give the model the input shape [${data.rows}, ${data.cols}, 1] (or [${pixels}]) and a last layer of ${data.classes.length} units.`,
      );
    }
    const affine = options.affine ?? preprocessingAffine(options.preprocessing, train, pixels);
    const trainSplit = uploadSplit(gpu, 'train', train, pixels, affine);

    const count = model.params.totalElements;
    const buffers: ModelBuffers = {
      params: storageBuffer(gpu, `${model.name} params`, count * 4),
      grads: storageBuffer(gpu, `${model.name} grads`, count * 4),
      step: stepUniform(gpu),
    };
    await initializeParams(gpu, model, buffers.params, options.seed);

    const classes = model.classes;
    const trainMetrics = metricsBuffer(gpu, classes, { label: 'train metrics' });
    const optimizer = createOptimizer(gpu, options.optimizer, options.lr, count);

    const trainProgram = await compile(gpu, model, buffers, {
      mode: 'train',
      batch: options.batchSize,
      data: trainSplit,
      tail: {
        head(program: Program, logits: TensorRef, labels: TensorRef) {
          const grad = program.tensor('loss grad', logits.bytes);
          program.op({
            label: 'softmax cross-entropy',
            reads: [logits, labels],
            writes: [grad],
            build: async (bind) => [
              await softmaxXentTrain(gpu, { batch: options.batchSize, classes }, {
                logits: bind(logits), labels: bind(labels), step: buffers.step, metrics: trainMetrics, grad: bind(grad),
              }),
            ],
          });
          return grad;
        },
        update(program: Program) {
          program.op({ label: `${optimizer.name} update`, reads: [], writes: [], build: async () => [await optimizer.build(buffers.params, buffers.grads)] });
        },
      },
    });
    const validationEval = await evaluator(gpu, model, buffers, uploadSplit(gpu, 'validation', validation, pixels, affine), options.evalBatch);
    const testEval = test === validation ? validationEval : await evaluator(gpu, model, buffers, uploadSplit(gpu, 'test', test, pixels, affine), options.evalBatch);
    await gpu.settle(`building ${model.name}'s programs`);
    return new Trainer(gpu, model, options, affine, trainSplit, buffers, optimizer, trainProgram, trainMetrics, validationEval, testEval);
  }

  /** True when the validation split is the test set (the report's way), so one evaluation serves both. */
  get validatesOnTest(): boolean {
    return this.validation === this.test;
  }

  get stepsPerEpoch(): number {
    return Math.ceil(this.trainSplit.count / this.options.batchSize);
  }

  /**
   * Ends the running epoch at its next progress point, a few steps on (between epochs it does
   * nothing). Calling trainEpoch() again with the same epoch continues it from there; exportState()
   * records the position, so a trainer that imports that state continues it too (e.g. in another
   * process).
   */
  requestStop(): void {
    if (this.epochRunning) this.stopRequested = true;
  }

  private epochRunning = false;
  private stopRequested = false;
  /** Where the last epoch stopped, if requestStop() ended it early, and the seconds it had run. */
  private stoppedAt: { epoch: number; step: number; seconds: number } | null = null;
  /** Where the next epoch starts, from an imported state taken inside an epoch. */
  private resumeAt: EpochProgress | null = null;

  /**
   * One pass over the (shuffled) training set; returns its mean loss and accuracy. An epoch ended
   * early by requestStop() reports how many steps it took.
   */
  async trainEpoch(epoch: number, onProgress?: (p: StepProgress) => void): Promise<EpochMetrics> {
    this.epochRunning = true;
    this.stopRequested = false;
    try {
      return await this.runEpoch(epoch, onProgress);
    } finally {
      this.epochRunning = false;
    }
  }

  private async runEpoch(epoch: number, onProgress?: (p: StepProgress) => void): Promise<EpochMetrics> {
    const { gpu, options } = this;
    const started = performance.now();
    const n = this.trainSplit.count;
    const batch = options.batchSize;
    writeBuffer(gpu, this.trainSplit.order, permutation(n, options.seed, epoch));

    // Continue an epoch that stopped early: one imported with the state, or this one, stopped in this
    // trainer (its metric accumulators are still on the GPU).
    const imported = this.resumeAt;
    const continued = !imported && this.stoppedAt?.epoch === epoch ? this.stoppedAt : null;
    const first = imported?.step ?? continued?.step ?? 0;
    const earlierSeconds = continued?.seconds ?? 0;
    this.resumeAt = null;
    this.stoppedAt = null;
    if (imported) {
      writeBuffer(gpu, this.trainMetrics.buffer, imported.metrics);
    } else if (first === 0) {
      const start = gpu.device.createCommandEncoder({ label: 'epoch start' });
      clearMetrics(start, this.trainMetrics);
      gpu.device.queue.submit([start.finish()]);
    }

    const steps = this.stepsPerEpoch;
    this.divergedAt = null;
    this.runningLoss = undefined;
    let pending: Promise<void> | null = null;
    for (let s = first; s < steps; s++) {
      const batchStart = s * batch;
      writeStepUniform(gpu, this.buffers.step, { step: this.globalStep++, batchStart, rows: Math.min(batch, n - batchStart), seed: options.seed });
      this.optimizer.prepare(++this.updates);
      const flush = (s + 1) % STEPS_PER_FLUSH === 0 || s === steps - 1;
      const peek = flush ? this.peeks.find((p) => !p.busy) : undefined;
      gpu.scoped(`training step ${this.globalStep} (epoch ${epoch})`, () => {
        const encoder = gpu.device.createCommandEncoder();
        const pass = encoder.beginComputePass();
        this.trainProgram.encode(pass);
        pass.end();
        if (peek) encoder.copyBufferToBuffer(this.trainMetrics.buffer, 0, peek.buffer, 0, peek.buffer.size);
        gpu.device.queue.submit([encoder.finish()]);
      });
      if (peek) this.readPeek(peek);
      if (flush) {
        // Wait for the previous group while this one runs: the queue stays fed, and bounded.
        if (pending) await pending;
        this.gpu.check(`training step ${this.globalStep} (epoch ${epoch})`);
        if (this.divergedAt !== null) {
          throw new DivergedError(
            `The training loss became NaN or infinite by step ${this.divergedAt} (epoch ${epoch}): the model diverged.`,
            'Lower the learning rate (--lr), e.g. by a factor of 10. A checkpoint saved before this epoch is intact.',
          );
        }
        pending = gpu.device.queue.onSubmittedWorkDone();
        onProgress?.({ step: s + 1, steps, images: Math.min(n, (s + 1) * batch), runningLoss: this.runningLoss });
        if (this.stopRequested && s + 1 < steps) {
          this.stopRequested = false;
          this.stoppedAt = { epoch, step: s + 1, seconds: 0 };
          break;
        }
      }
    }
    if (pending) await pending;
    const metrics = await readMetrics(gpu, this.trainMetrics);
    await gpu.settle(`epoch ${epoch}`);
    const seconds = earlierSeconds + (performance.now() - started) / 1000;
    if (!this.stoppedAt) return { ...metrics, seconds };
    this.stoppedAt.seconds = seconds;
    return { ...metrics, seconds, interruptedAfter: this.stoppedAt.step };
  }

  private runningLoss: number | undefined;
  /** The step by which a progress read first saw a non-finite loss, or null. */
  private divergedAt: number | null = null;

  private readPeek(peek: { buffer: GPUBuffer; busy: boolean }): void {
    peek.busy = true;
    const step = this.globalStep;
    void peek.buffer
      .mapAsync(GPUMapMode.READ)
      .then(() => {
        const m = decodeMetrics(new Uint32Array(peek.buffer.getMappedRange()), this.model.classes, false);
        peek.buffer.unmap();
        if (m.rows > 0) this.runningLoss = m.meanLoss;
        if (m.invalid > 0 && this.divergedAt === null) this.divergedAt = step;
      })
      // The device went away, or the buffer with it, while the read was in flight (even between
      // the map and getMappedRange): the epoch's own read reports a lost device.
      .catch(() => {})
      .finally(() => {
        peek.busy = false;
      });
  }

  /**
   * Loss, accuracy and confusion matrix on the validation split (the test set unless a slice of
   * the training data was held out) or on the test set; with the class probabilities if asked.
   */
  async evaluate(which: 'validation' | 'test' = 'validation', options: { probabilities?: boolean } = {}): Promise<Evaluation> {
    const { gpu } = this;
    const { split, program, metrics } = which === 'test' ? this.test : this.validation;
    const n = split.count;
    const batch = program.batch;
    const classes = this.model.classes;
    const all = options.probabilities ? storageBuffer(gpu, 'probabilities', n * classes * 4) : null;
    const start = gpu.device.createCommandEncoder({ label: 'evaluation start' });
    clearMetrics(start, metrics);
    gpu.device.queue.submit([start.finish()]);
    for (let s = 0; s * batch < n; s++) {
      const rows = Math.min(batch, n - s * batch);
      writeStepUniform(gpu, this.buffers.step, { step: 0, batchStart: s * batch, rows, seed: 0 });
      gpu.scoped(`evaluating the ${which} set, images ${s * batch}-${s * batch + rows - 1}`, () => {
        const encoder = gpu.device.createCommandEncoder();
        const pass = encoder.beginComputePass();
        program.encode(pass);
        pass.end();
        if (all && program.output) encoder.copyBufferToBuffer(program.output.buffer, program.output.offset ?? 0, all, s * batch * classes * 4, rows * classes * 4);
        gpu.device.queue.submit([encoder.finish()]);
      });
    }
    const result = await readMetrics(gpu, metrics);
    await gpu.settle(`evaluation on the ${which} set`);
    const probabilities = all ? await readF32(gpu, all, n * classes) : undefined;
    all?.destroy();
    return { ...result, confusion: result.confusion!, ...(probabilities ? { probabilities } : {}) };
  }

  /** The parameter buffer, as stored (see graph/params.ts for the layout). */
  async readParams(): Promise<Float32Array> {
    return readF32(this.gpu, this.buffers.params, this.model.params.totalElements);
  }

  /** Everything needed to continue this run exactly: parameters, optimiser state and counters. */
  async exportState(): Promise<TrainerState> {
    const optimizer: Record<string, Float32Array> = {};
    for (const [name, buffer] of Object.entries(this.optimizer.state)) optimizer[name] = await readF32(this.gpu, buffer, this.model.params.totalElements);
    const state: TrainerState = { params: await this.readParams(), optimizer, globalStep: this.globalStep, updates: this.updates };
    if (this.stoppedAt) state.epochProgress = { step: this.stoppedAt.step, metrics: await readU32(this.gpu, this.trainMetrics.buffer) };
    return state;
  }

  importState(state: TrainerState): void {
    const progress = state.epochProgress;
    if (progress) {
      const words = this.trainMetrics.buffer.size / 4;
      if (!(Number.isInteger(progress.step) && progress.step > 0 && progress.step < this.stepsPerEpoch) || progress.metrics.length !== words) {
        throw new UsageError(
          `The saved state stopped at step ${progress.step} of an epoch with ${progress.metrics.length} metric words; this run has ${this.stepsPerEpoch} steps per epoch and ${words} words.`,
          'Resume with the settings the state was saved with (batch size, training images).',
        );
      }
    }
    this.writeParams(state.params);
    for (const [name, buffer] of Object.entries(this.optimizer.state)) {
      const values = state.optimizer[name];
      if (!values || values.length !== this.model.params.totalElements) {
        throw new UsageError(`The saved state has no '${name}' for the ${this.optimizer.name} optimiser with ${this.model.params.totalElements} values.`);
      }
      writeBuffer(this.gpu, buffer, values);
    }
    this.globalStep = state.globalStep;
    this.updates = state.updates;
    this.resumeAt = progress ?? null;
    this.stoppedAt = null;
  }

  writeParams(values: Float32Array): void {
    if (values.length !== this.model.params.totalElements) {
      throw new UsageError(`Expected ${this.model.params.totalElements} parameter values for ${this.model.name}, got ${values.length}.`);
    }
    writeBuffer(this.gpu, this.buffers.params, values);
  }

  /** Bytes of GPU memory the step's plan uses, and what one buffer per tensor would have used. */
  memoryReport(): { planned: number; naive: number } {
    return { planned: this.trainProgram.plan.plannedBytes, naive: this.trainProgram.plan.naiveBytes };
  }

  release(): void {
    this.trainProgram.release();
    this.optimizer.release();
    this.trainSplit.release();
    for (const e of new Set([this.validation, this.test])) {
      e.program.release();
      e.split.release();
      e.metrics.buffer.destroy();
    }
    for (const b of [this.buffers.params, this.buffers.grads, this.buffers.step, this.trainMetrics.buffer, ...this.peeks.map((p) => p.buffer)]) b.destroy();
  }
}

/** An evaluation program over `split`, writing its probabilities as the program's output. */
async function evaluator(gpu: Gpu, model: Sequential, buffers: ModelBuffers, split: GpuSplit, evalBatch = 500): Promise<Evaluator> {
  const batch = Math.min(evalBatch, split.count);
  const classes = model.classes;
  const metrics = metricsBuffer(gpu, classes, { confusion: true, label: 'evaluation metrics' });
  const program = await compile(gpu, model, buffers, {
    mode: 'eval',
    batch,
    data: split,
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
  return { split, program, metrics };
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

function preprocessingAffine(kind: Preprocessing, train: Split, pixels: number): PixelAffine {
  return kind === 'standardize' ? standardScalerAffine(fitStandardScaler(train.images, pixels)) : scale01Affine(pixels);
}

/**
 * A batch must fit in the training images left after `limit` and the validation split. Pure, so the
 * command line checks it before acquiring a GPU; Trainer.create checks it again for library callers.
 */
export function checkBatchFits(batchSize: number, trainImages: number, limit: number | undefined, validationSplit: number): void {
  const available = Math.min(limit ?? trainImages, trainImages);
  const trainCount = available - heldOut(available, validationSplit);
  if (batchSize > trainCount) {
    throw new UsageError(`The batch size (${batchSize}) is larger than the training set (${trainCount} examples).`, 'Use a smaller --batch-size.');
  }
}

/** Examples held out for validation from a training set of `count`: Keras' validation_split. */
export function heldOut(count: number, fraction: number): number {
  return fraction > 0 ? Math.max(1, Math.round(count * fraction)) : 0;
}

/** The training and validation splits the options ask for. */
function splitData(data: FashionMnist, options: TrainOptions): { train: Split; validation: Split; test: Split } {
  const pixels = data.rows * data.cols;
  const take = (s: Split, from: number, to: number): Split => ({
    images: s.images.subarray(from * pixels, to * pixels),
    labels: s.labels.subarray(from, to),
    count: to - from,
  });
  let train = data.train;
  if (options.trainLimit !== undefined) train = take(train, 0, Math.min(options.trainLimit, train.count));
  const test = options.testLimit !== undefined ? take(data.test, 0, Math.min(options.testLimit, data.test.count)) : data.test;
  const fraction = options.validationSplit ?? 0;
  if (fraction > 0) {
    if (!(fraction < 1)) throw new UsageError(`The validation split must be below 1, got ${fraction}.`);
    const held = heldOut(train.count, fraction);
    return { train: take(train, 0, train.count - held), validation: take(train, train.count - held, train.count), test };
  }
  return { train, validation: test, test };
}
