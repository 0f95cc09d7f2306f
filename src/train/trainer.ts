import type { Gpu } from '../gpu/device';
import { readF32, readU32, storageBuffer, writeBuffer } from '../gpu/buffers';
import type { DataSplit } from '../data/dataset';
import type { GpuSplit } from '../data/gpu-dataset';
import { permutation } from '../data/shuffle';
import { DivergedError, UsageError } from '../errors';
import { compile, type CompiledProgram } from '../graph/compile';
import type { Program, TensorRef } from '../graph/program';
import { clearMetrics, decodeMetrics, metricsBuffer, readMetrics, type Metrics, type MetricsBuffer } from '../kernels/metrics';
import { halfCopyBytes, packHalves } from '../kernels/half';
import { softmaxXentTrain } from '../kernels/softmax-xent';
import { encodeCalls, submitCalls, type KernelCall } from '../gpu/kernel';
import { SubmitFence, type FenceTicket } from './submit-fence';
import { STEP_UNIFORM_BYTES, stepUniformValues } from '../kernels/step';
import type { ModelRuntime } from '../models/runtime';
import { createOptimizer, type Optimizer } from '../optim/optimizer';
import type { FitSettings } from './settings';

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

/** Steps recorded between waits for the GPU: bounds queued work without stalling the GPU. */
const STEPS_PER_FLUSH = 8;
/** u32 words staged per step: the step uniform (16 bytes), then the optimiser's (16 bytes). */
const STEP_RECORD_WORDS = 8;

/**
 * The training loop of one model over one training split: the gradients, the optimiser's state,
 * the compiled training step and the epoch's metric accumulators. The model (its ModelRuntime) owns
 * the parameters and the inference programs. After `create`, an epoch records precompiled
 * dispatches and writes 16-byte uniforms; it reads back only at its end.
 *
 * Applications see it as `Sequential.trainingStep`, to inspect the step (its dispatches and
 * memory); the model's fit(), checkpoint() and release() drive it.
 */
export class Trainer {
  private globalStep = 0;
  private updates = 0;

  private constructor(
    /** @internal */
    readonly runtime: ModelRuntime,
    /** @internal */
    readonly settings: Readonly<TrainerSettings>,
    /** @internal */
    readonly trainSplit: GpuSplit,
    private readonly grads: GPUBuffer,
    /** @internal */
    readonly optimizer: Optimizer,
    /** The compiled training step: `calls` are its dispatches, in the order one step runs them. */
    readonly trainProgram: CompiledProgram,
    private readonly trainMetrics: MetricsBuffer,
    /** Mixed precision: the parameters' f16 copy, and the dispatch that makes it whole from the parameters. */
    private readonly halfCopy: { buffer: GPUBuffer; pack: KernelCall } | null,
  ) {
    this.fence = new SubmitFence(runtime.gpu, trainMetrics.buffer, trainMetrics.buffer.size);
    this.stepRecords = runtime.gpu.device.createBuffer({
      label: 'staged step uniforms', size: STEPS_PER_FLUSH * STEP_RECORD_WORDS * 4, usage: GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    });
  }

  /** One group's per-step uniform values, written once per group (see recordSteps). */
  private readonly stepRecords: GPUBuffer;

  /** Marks the end of each group of steps; its copy of the metrics is the progress read. */
  private readonly fence: SubmitFence;

  /**
   * Uploads `train`, allocates the gradients and optimiser state, and compiles the step. Throws a
   * UsageError when the batch is larger than the training set.
   * @internal
   */
  static async create(runtime: ModelRuntime, train: DataSplit, settings: TrainerSettings): Promise<Trainer> {
    const { gpu, model } = runtime;
    checkBatchFits(settings.batchSize, train.count);
    const trainSplit = runtime.upload(train, 'train');
    const count = model.params.totalElements;
    const grads = storageBuffer(gpu, `${model.name} grads`, count * 4);
    const classes = model.classes;
    const trainMetrics = metricsBuffer(gpu, classes, { label: 'train metrics' });
    const optimizer = createOptimizer(gpu, settings.optimizer, settings.lr, count);
    const batch = settings.batchSize;
    const paramsHalf = settings.precision === 'mixed_float16' ? storageBuffer(gpu, `${model.name} f16 copy`, halfCopyBytes(count)) : null;
    const buffers = { ...runtime.buffers, grads, paramsHalf };

    const trainProgram = await compile(gpu, model, buffers, {
      mode: 'train',
      batch,
      data: trainSplit,
      tail: {
        fusesBiasGrad: true,
        head(program: Program, logits: TensorRef, labels: TensorRef, biasGrad?: GPUBufferBinding) {
          const grad = program.tensor('loss grad', logits.bytes);
          program.op({
            label: 'softmax cross-entropy',
            reads: [logits, labels],
            writes: [grad],
            build: async (bind) => [
              await softmaxXentTrain(gpu, { batch, classes }, {
                logits: bind(logits), labels: bind(labels), step: buffers.step, metrics: trainMetrics, grad: bind(grad), ...(biasGrad ? { biasGrad } : {}),
              }),
            ],
          });
          return grad;
        },
        update(program: Program) {
          program.op({ label: `${optimizer.name} update`, reads: [], writes: [], build: async () => [await optimizer.build(buffers.params, grads, paramsHalf)] });
        },
      },
    });
    // The copy is whole from the start, for callers that run trainProgram's calls themselves (the profiler).
    const halfCopy = paramsHalf ? { buffer: paramsHalf, pack: await packHalves(gpu, { count }, { src: buffers.params, dst: paramsHalf }) } : null;
    if (halfCopy) submitCalls(gpu, [halfCopy.pack]);
    await gpu.settle(`building ${model.name}'s training step`);
    return new Trainer(runtime, settings, trainSplit, grads, optimizer, trainProgram, trainMetrics, halfCopy);
  }

  private get gpu(): Gpu {
    return this.runtime.gpu;
  }

  /** Steps in one epoch: the training examples over the batch size, rounded up (the last batch may be short). */
  get stepsPerEpoch(): number {
    return Math.ceil(this.trainSplit.count / this.settings.batchSize);
  }

  /**
   * Ends the running epoch at its next progress point, a few steps on (between epochs it does
   * nothing). Calling trainEpoch() again with the same epoch continues it from there; exportState()
   * records the position, so a trainer that imports that state continues it too (e.g. in another
   * process).
   * @internal
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
   * @internal
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
    const { gpu, settings } = this;
    const started = performance.now();
    const n = this.trainSplit.count;
    const batch = settings.batchSize;
    writeBuffer(gpu, this.trainSplit.order, permutation(n, settings.seed, epoch));

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
    this.runningLoss = undefined;
    const classes = this.runtime.model.classes;
    let previous: FenceTicket | null = null;
    /** The global step count at the end of the previous group. */
    let previousStep = this.globalStep;
    let s = first;
    while (s < steps) {
      const end = Math.min(steps, (Math.floor(s / STEPS_PER_FLUSH) + 1) * STEPS_PER_FLUSH);
      const ticket = this.recordSteps(s, end, epoch, s === first);
      s = end;
      // Wait for the previous group while this one runs: the queue stays fed, and bounded.
      if (previous) {
        const m = decodeMetrics(await this.waitFor(previous, epoch), classes, false);
        if (m.rows > 0) this.runningLoss = m.meanLoss;
        if (m.invalid > 0) {
          throw new DivergedError(
            `The training loss became NaN or infinite by step ${previousStep} (epoch ${epoch}): the model diverged.`,
            'Lower the learning rate (--lr), e.g. by a factor of 10. A checkpoint saved before this epoch is intact.',
          );
        }
      }
      previous = ticket;
      previousStep = this.globalStep;
      onProgress?.({ step: s, steps, images: Math.min(n, s * batch), runningLoss: this.runningLoss });
      if (this.stopRequested && s < steps) {
        this.stopRequested = false;
        this.stoppedAt = { epoch, step: s, seconds: 0 };
        break;
      }
    }
    // The last group's fence holds the epoch's accumulators as of its end.
    const metrics = previous
      ? decodeMetrics(await this.waitFor(previous, epoch), classes, this.trainMetrics.confusion)
      : await readMetrics(gpu, this.trainMetrics);
    await gpu.settle(`epoch ${epoch}`);
    const seconds = earlierSeconds + (performance.now() - started) / 1000;
    if (!this.stoppedAt) return { ...metrics, seconds };
    this.stoppedAt.seconds = seconds;
    return { ...metrics, seconds, interruptedAfter: this.stoppedAt.step };
  }

  private runningLoss: number | undefined;

  /**
   * Records steps [from, to) of the epoch into one command buffer and one submit, under one error
   * scope; the fence goes last. Each step's uniforms (the step's and the optimiser's) are staged for
   * the whole group with one write, and copied into place before the step's pass: commands run in
   * order, so each pass sees its own. No await: nothing else runs on this thread in between.
   * An epoch's first group first makes the f16 copy whole (mixed precision): the parameters may have
   * been written since the last update (weights loaded, a state imported); the updates keep it so.
   */
  private recordSteps(from: number, to: number, epoch: number, epochStart: boolean): FenceTicket {
    const { gpu, settings } = this;
    const n = this.trainSplit.count;
    const batch = settings.batchSize;
    return gpu.scoped(`training steps ${this.globalStep + 1}-${this.globalStep + to - from} (epoch ${epoch})`, () => {
      const records = new Uint32Array((to - from) * STEP_RECORD_WORDS);
      for (let s = from; s < to; s++) {
        const at = (s - from) * STEP_RECORD_WORDS;
        const batchStart = s * batch;
        records.set(stepUniformValues({ step: this.globalStep++, batchStart, rows: Math.min(batch, n - batchStart), seed: settings.seed }), at);
        records.set(new Uint32Array(this.optimizer.uniformValues(++this.updates).buffer), at + 4);
      }
      gpu.device.queue.writeBuffer(this.stepRecords, 0, records);
      const encoder = gpu.device.createCommandEncoder();
      if (epochStart && this.halfCopy) {
        const pass = encoder.beginComputePass();
        encodeCalls(pass, [this.halfCopy.pack]);
        pass.end();
      }
      for (let s = from; s < to; s++) {
        const at = (s - from) * STEP_RECORD_WORDS * 4;
        encoder.copyBufferToBuffer(this.stepRecords, at, this.runtime.buffers.step, 0, STEP_UNIFORM_BYTES);
        encoder.copyBufferToBuffer(this.stepRecords, at + 16, this.optimizer.uniform, 0, 16);
        const pass = encoder.beginComputePass();
        this.trainProgram.encode(pass);
        pass.end();
      }
      const ticket = this.fence.record(encoder);
      gpu.device.queue.submit([encoder.finish()]);
      return ticket;
    });
  }

  /** The fence's words once its group is done; a lost device or a GPU error surfaces as a GpuError. */
  private async waitFor(ticket: FenceTicket, epoch: number): Promise<Uint32Array> {
    const operation = `training step ${this.globalStep} (epoch ${epoch})`;
    try {
      const words = await this.fence.wait(ticket);
      this.gpu.check(operation);
      return words;
    } catch (e) {
      this.gpu.check(operation);
      throw e;
    }
  }

  /**
   * Everything needed to continue this run exactly: parameters, optimiser state and counters.
   * @internal
   */
  async exportState(): Promise<TrainerState> {
    const optimizer: Record<string, Float32Array> = {};
    const count = this.runtime.model.params.totalElements;
    for (const [name, buffer] of Object.entries(this.optimizer.state)) optimizer[name] = await readF32(this.gpu, buffer, count);
    const state: TrainerState = { params: await this.runtime.readParams(), optimizer, globalStep: this.globalStep, updates: this.updates };
    if (this.stoppedAt) state.epochProgress = { step: this.stoppedAt.step, metrics: await readU32(this.gpu, this.trainMetrics.buffer) };
    return state;
  }

  /**
   * Continues from `state` (from exportState). Throws a UsageError when it does not fit this run:
   * another optimiser or parameter count, or an epoch position with other steps per epoch.
   * @internal
   */
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
    const count = this.runtime.model.params.totalElements;
    for (const [name] of Object.entries(this.optimizer.state)) {
      const values = state.optimizer[name];
      if (!values || values.length !== count) {
        throw new UsageError(`The saved state has no '${name}' for the ${this.optimizer.name} optimiser with ${count} values.`, 'Resume with the optimiser the state was saved with.');
      }
    }
    this.runtime.writeParams(state.params);
    for (const [name, buffer] of Object.entries(this.optimizer.state)) {
      const values = state.optimizer[name]!;
      writeBuffer(this.gpu, buffer, values);
    }
    this.globalStep = state.globalStep;
    this.updates = state.updates;
    this.resumeAt = progress ?? null;
    this.stoppedAt = null;
  }

  /** Bytes of GPU memory the step's plan uses, and what one buffer per tensor would have used. */
  memoryReport(): { planned: number; naive: number } {
    return { planned: this.trainProgram.plan.plannedBytes, naive: this.trainProgram.plan.naiveBytes };
  }

  /**
   * Frees the step's GPU memory (gradients, optimiser state, the step's buffers).
   * @internal
   */
  release(): void {
    this.trainProgram.release();
    this.optimizer.release();
    this.fence.release();
    for (const b of [this.grads, this.trainMetrics.buffer, this.stepRecords]) b.destroy();
    this.halfCopy?.buffer.destroy();
  }
}

/** The fit settings a training loop needs. */
export type TrainerSettings = Pick<FitSettings, 'batchSize' | 'optimizer' | 'lr' | 'seed' | 'precision'>;

/**
 * A batch must fit in the training examples. Pure, so the command line checks it before acquiring
 * a GPU; Trainer.create checks it again for library callers.
 */
export function checkBatchFits(batchSize: number, trainExamples: number): void {
  if (batchSize > trainExamples) {
    throw new UsageError(`The batch size (${batchSize}) is larger than the training set (${trainExamples} examples).`, 'Use a smaller batch size.');
  }
}
