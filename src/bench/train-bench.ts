import { createDataset, type DatasetArrays } from '../data/dataset';
import type { Preprocessing } from '../data/preprocess';
import type { Gpu } from '../gpu/device';
import { ModelRuntime } from '../models/runtime';
import type { Sequential } from '../models/sequential';
import type { FitSettings, Precision } from '../train/settings';
import { Trainer } from '../train/trainer';
import { tuningMs } from '../tune/tuner';
import { cpuMs, rateSummary, summarize, type Summary } from './stats';

/** A model to measure: how to build it, and its training settings (a seed model's, or a model file's). */
export interface BenchModel {
  name: string;
  /** A new, untrained model: called for each trainer the measurement makes. */
  build(): Sequential;
  fit: Pick<FitSettings, 'batchSize' | 'optimizer' | 'lr' | 'precision'>;
  preprocessing: Preprocessing;
}

/** How long and how benchTraining measures; every field is optional. */
export interface TrainBenchOptions {
  /** Timed seconds per model, over all repeats (default 10). */
  seconds?: number;
  /** Timed repeats (default 5). */
  repeats?: number;
  /** Steps per repeat; default: calibrated from `seconds`. */
  steps?: number;
  /** Default: the model's batch size. */
  batchSize?: number;
  /** Seed of the weights, the shuffle and dropout (default 1). */
  seed?: number;
  /** Hears one line per model before its timed repeats (batch, repeats x steps). */
  log?: (line: string) => void;
}

/** One model's training throughput; times are wall clock unless named CPU. */
export interface TrainBenchResult {
  /** BenchModel.name. */
  model: string;
  /** Images per step. */
  batch: number;
  optimizer: string;
  precision: Precision;
  /** Steps per timed repeat, and repeats. */
  steps: number;
  repeats: number;
  /** Wall-clock ms per training step, over the timed repeats. */
  msPerStep: Summary;
  /** Training images per second, over the timed repeats. */
  imagesPerS: Summary;
  /** CPU time of this process per step (NaN in a browser): less sensitive to other load than the wall clock. */
  cpuMsPerStep: Summary;
  /** A 60,000-image epoch's training time at the median rate (no evaluation), seconds. */
  epochSeconds: number;
  /** Sum of the declared flops of one step's dispatches. */
  flopsPerStep: number;
  /** flopsPerStep over the median step time. */
  gflops: number;
  /** Kernel dispatches in one training step. */
  dispatches: number;
  /** GPU memory, bytes. */
  memory: {
    /** The step's transient tensors as planned, and with one buffer per tensor. */
    planned: number;
    naive: number;
    /** Parameters, gradients and optimiser state. */
    params: number;
  };
  /** Trainer.create of the first trainer (compile, kernel tuning, upload), ms. */
  createMs: number;
  /** The warm-up epoch of the calibration trainer, ms. */
  warmupMs: number;
  /** What a user waits for before training gets going, ms; see StartupTimes. */
  startup: StartupTimes;
}

/**
 * Start-up of a model's first trainer on an open device: its creation (pipelines created, kernels
 * tuned, parameters initialised, data uploaded), then its first training step, one epoch of one
 * step with the epoch's read-back (a software adapter compiles each pipeline at its first dispatch,
 * so most of the compiling shows here).
 */
export interface StartupTimes {
  /** Trainer.create, ms (includes tuneMs). */
  createMs: number;
  /** Of which timing kernel variants (src/tune), ms. */
  tuneMs: number;
  /** The first step, ms. */
  firstStepMs: number;
  /** createMs + firstStepMs. */
  totalMs: number;
  /** performance.now() when the first step finished: in Node, ms since the process started. */
  sinceProcessStartMs: number;
}

/** Steps of the calibration trainer's epochs (its first epoch is the warm-up). */
const CALIBRATION_STEPS = 4;
/** Fewest steps per timed repeat: the slow CNN still gets several repeats in its time. */
const MIN_STEPS = 2;
export const EPOCH_IMAGES = 60_000;

/**
 * Steady-state training throughput of one model, measured on the training loop the model's fit()
 * runs: a loop over `steps` x batch training images makes each `trainEpoch` a run of exactly
 * `steps` real steps on real batches of `data`, recorded as training records them (one pass and
 * one submit per step, a wait every 8 steps for the group before, no read back until the epoch's
 * end). The first epoch of each trainer is a warm-up (lavapipe compiles shaders at first use) and
 * is not counted. A short calibration trainer picks the number of steps per timed repeat so that
 * the repeats take about `seconds` in all.
 *
 * The one read back per repeat (the epoch's metrics) and the shuffled order written at its start
 * are counted: a real epoch pays them too, once per epoch (1,875 steps for Fashion-MNIST at batch
 * 32) instead of once per repeat. Throws a UsageError when the batch is larger than the training set.
 */
export async function benchTraining(gpu: Gpu, data: DatasetArrays, spec: BenchModel, options: TrainBenchOptions = {}): Promise<TrainBenchResult> {
  const { name } = spec;
  const d = spec.fit;
  const batch = options.batchSize ?? d.batchSize;
  const seconds = options.seconds ?? 10;
  const repeats = Math.max(1, options.repeats ?? 5);
  const maxSteps = Math.max(1, Math.floor(data.train.labels.length / batch));
  const make = async (steps: number) => {
    const dataset = createDataset(data, { preprocessing: spec.preprocessing, trainLimit: steps * batch, testLimit: 100 });
    const runtime = await ModelRuntime.create(gpu, spec.build(), options.seed ?? 1, null);
    runtime.setAffine(dataset.affine);
    const trainer = await Trainer.create(runtime, dataset.train, { batchSize: batch, lr: d.lr, optimizer: d.optimizer, precision: d.precision, seed: options.seed ?? 1 });
    return { trainer, release: () => (trainer.release(), runtime.release()) };
  };

  // Start-up: a fresh trainer's creation and first step, before anything of this model is cached.
  const tuneBefore = tuningMs(gpu);
  let t = performance.now();
  const { trainer: first, release: releaseFirst } = await make(1);
  const createMs = performance.now() - t;
  const tuneMs = tuningMs(gpu) - tuneBefore;
  t = performance.now();
  try {
    await first.trainEpoch(0);
  } finally {
    releaseFirst();
  }
  const firstStepMs = performance.now() - t;
  const startup: StartupTimes = { createMs, tuneMs, firstStepMs, totalMs: createMs + firstStepMs, sinceProcessStartMs: performance.now() };

  // Calibration: one warm-up epoch, one timed epoch of a few steps.
  let steps = options.steps === undefined ? undefined : Math.min(options.steps, maxSteps);
  const { trainer: calibration, release: releaseCalibration } = await make(Math.min(CALIBRATION_STEPS, maxSteps));
  let warmupMs: number;
  try {
    t = performance.now();
    await calibration.trainEpoch(0);
    warmupMs = performance.now() - t;
    if (steps === undefined) {
      t = performance.now();
      await calibration.trainEpoch(1);
      const msPerStep = (performance.now() - t) / calibration.stepsPerEpoch;
      steps = Math.round((seconds * 1000) / repeats / msPerStep);
      steps = Math.min(maxSteps, Math.max(MIN_STEPS, steps));
    }
  } finally {
    releaseCalibration();
  }

  const { trainer, release } = await make(steps);
  try {
    options.log?.(`${name}: batch ${batch}, ${repeats} x ${steps} steps (+1 warm-up repeat)`);
    await trainer.trainEpoch(0);
    const ms: number[] = [];
    const cpu: number[] = [];
    for (let r = 1; r <= repeats; r++) {
      const cpuStart = cpuMs();
      const start = performance.now();
      await trainer.trainEpoch(r);
      ms.push((performance.now() - start) / trainer.stepsPerEpoch);
      cpu.push((cpuMs() - cpuStart) / trainer.stepsPerEpoch);
    }
    const msPerStep = summarize(ms);
    const imagesPerS = rateSummary(msPerStep, batch);
    const calls = trainer.trainProgram.calls;
    const flopsPerStep = calls.reduce((a, c) => a + c.flops, 0);
    const mem = trainer.memoryReport();
    const paramBytes = trainer.runtime.model.params.totalElements * 4;
    const stateBytes = Object.values(trainer.optimizer.state).reduce((a, b) => a + b.size, 0);
    const precision = d.precision ?? 'float32';
    const halfCopyBytes = precision === 'mixed_float16' ? paramBytes / 2 : 0;
    return {
      model: name,
      batch,
      optimizer: d.optimizer,
      precision,
      steps: trainer.stepsPerEpoch,
      repeats,
      msPerStep,
      imagesPerS,
      cpuMsPerStep: summarize(cpu),
      epochSeconds: EPOCH_IMAGES / imagesPerS.median,
      flopsPerStep,
      gflops: flopsPerStep / (msPerStep.median * 1e6),
      dispatches: calls.length,
      memory: { planned: mem.planned, naive: mem.naive, params: 2 * paramBytes + stateBytes + halfCopyBytes },
      createMs,
      warmupMs,
      startup,
    };
  } finally {
    release();
  }
}
