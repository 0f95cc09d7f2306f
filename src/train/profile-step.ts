import { createDataset, type DatasetArrays } from '../data/dataset';
import type { Preprocessing } from '../data/preprocess';
import type { Gpu } from '../gpu/device';
import { profileCalls, type Profile, type ProfileOptions } from '../gpu/profiler';
import { ModelRuntime } from '../models/runtime';
import type { Sequential } from '../models/sequential';
import type { FitSettings } from './settings';
import { Trainer } from './trainer';

/** Real training steps before profiling, so pipelines are compiled and the shaders JIT-ed. */
export const PROFILE_WARMUP_STEPS = 8;
/** Profiled steps by default, timed and untimed (`wgml profile --repeats / --warmup`, the demo). */
export const PROFILE_REPEATS = 20;
/** Untimed runs of the step's dispatches before the profiled ones, by default. */
export const PROFILE_WARMUP = 2;

/** What profileTrainingStep measured. */
export interface StepProfile {
  /** GPU time per dispatch of one training step. */
  profile: Profile;
  /** A real training step's wall-clock time (trainEpoch: one pass, one submit per step), ms. */
  trainStepMs: number;
  /** Kernel dispatches in one training step. */
  dispatches: number;
}

/** The training settings a profiled step uses. */
export type ProfileSettings = Pick<FitSettings, 'batchSize' | 'optimizer' | 'lr' | 'seed' | 'precision'> & { preprocessing: Preprocessing };

/**
 * The GPU time of every dispatch of one training step of `model` (`wgml profile` and the demo's
 * "Profile a step"): a training loop of its own on PROFILE_WARMUP_STEPS batches (a step's
 * dispatches do not depend on the subset), one epoch to warm up, a second timed on the wall clock,
 * then profileCalls over the step's dispatches. `stage` hears what it is doing.
 */
export async function profileTrainingStep(
  gpu: Gpu, model: Sequential, data: DatasetArrays, settings: ProfileSettings,
  profiling: Omit<ProfileOptions, 'beforeRun'> = {}, stage: (text: string) => void = () => {},
): Promise<StepProfile> {
  const trainLimit = PROFILE_WARMUP_STEPS * settings.batchSize;
  stage(`Compiling ${model.name} and uploading ${trainLimit.toLocaleString('en-US')} training images…`);
  const dataset = createDataset(data, { preprocessing: settings.preprocessing, trainLimit, testLimit: 100 });
  const runtime = await ModelRuntime.create(gpu, model, settings.seed, null);
  runtime.setAffine(dataset.affine);
  let trainer: Trainer | null = null;
  try {
    trainer = await Trainer.create(runtime, dataset.train, settings);
    stage(`Warming up: ${trainer.stepsPerEpoch} training steps, then as many timed…`);
    await trainer.trainEpoch(0);
    const t = performance.now();
    await trainer.trainEpoch(1);
    const trainStepMs = (performance.now() - t) / trainer.stepsPerEpoch;
    const calls = trainer.trainProgram.calls;
    const repeats = profiling.repeats ?? PROFILE_REPEATS;
    stage(`Timing each of the step's ${calls.length} dispatches over ${repeats} steps…`);
    const profile = await profileCalls(gpu, calls, { ...profiling, repeats, warmup: profiling.warmup ?? PROFILE_WARMUP });
    return { profile, trainStepMs, dispatches: calls.length };
  } finally {
    trainer?.release();
    runtime.release();
  }
}
