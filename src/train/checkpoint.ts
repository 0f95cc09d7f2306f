import { DataError } from '../errors';
import { decodeSafetensors, encodeSafetensors, type NamedTensor } from '../io/safetensors';
import type { PixelAffine } from '../data/preprocess';
import { seedModel, type SeedModel } from '../models/seed-models';
import { OPTIMIZERS } from '../optim/optimizer';
import type { EpochRecord } from './fit';
import type { TrainerState } from './trainer';
import type { Sequential } from '../models/sequential';

/**
 * A checkpoint is one safetensors file, so one atomic rename replaces it: the model's parameters
 * under their layer names (as in a weights file), the optimiser's state as `<state>/<layer>.<name>`
 * (e.g. `m/dense_1.kernel`), the pre-processing, and in the header's metadata, as JSON, the run's
 * settings, epoch, step counters and history. Our random numbers are counter-based (a pure function
 * of seed, step and element), so the counters are the whole RNG state.
 */
export const CHECKPOINT_FORMAT = 'wgml-checkpoint/1';
export const CHECKPOINT_FILE = 'checkpoint.safetensors';

export interface RunConfig {
  model: string;
  epochs: number;
  batchSize: number;
  lr: number;
  optimizer: 'sgd' | 'adam';
  seed: number;
  patience: number | null;
  validationSplit: number;
  trainLimit?: number;
  testLimit?: number;
}

export interface Checkpoint {
  config: RunConfig;
  /** Epochs completed (the state may also be part-way through the next: state.epochProgress). */
  epoch: number;
  history: EpochRecord[];
  state: TrainerState;
  affine: PixelAffine;
}

export function encodeCheckpoint(model: Sequential, c: Checkpoint): Uint8Array {
  const split = (prefix: string, values: Float32Array): NamedTensor[] =>
    model.params.entries.map((e) => ({ name: `${prefix}${e.layerName}.${e.spec.name}`, shape: e.spec.shape, data: values.subarray(e.offset, e.offset + e.count) }));
  const tensors = [
    ...split('', c.state.params),
    ...Object.entries(c.state.optimizer).flatMap(([name, values]) => split(`${name}/`, values)),
    { name: 'preprocess.scale', shape: [c.affine.scale.length], data: c.affine.scale },
    { name: 'preprocess.shift', shape: [c.affine.shift.length], data: c.affine.shift },
  ];
  const progress = c.state.epochProgress;
  const meta = {
    config: c.config,
    epoch: c.epoch,
    history: c.history,
    globalStep: c.state.globalStep,
    updates: c.state.updates,
    optimizerState: Object.keys(c.state.optimizer),
    // A checkpoint taken inside epoch `epoch + 1` (an interrupted run): its step and metric words.
    ...(progress ? { epochProgress: { step: progress.step, metrics: [...progress.metrics] } } : {}),
  };
  return encodeSafetensors(tensors, { format: CHECKPOINT_FORMAT, model: model.name, state: JSON.stringify(meta) });
}

const CHECKPOINT_HINT = 'Resume from the results folder of a `wgml train` run, or start a new run.';

/** What is wrong with a checkpoint's saved settings (edited by hand, or from a broken writer), or null. */
function configProblem(c: Record<string, unknown>): string | null {
  const whole = (v: unknown, min: number) => Number.isSafeInteger(v) && (v as number) >= min;
  const optionalWhole = (v: unknown) => v === undefined || whole(v, 1);
  if (!whole(c.epochs, 1)) return `its epochs (${String(c.epochs)}) is not a whole number of at least 1`;
  if (!whole(c.batchSize, 1)) return `its batch size (${String(c.batchSize)}) is not a whole number of at least 1`;
  if (!(typeof c.lr === 'number' && Number.isFinite(c.lr) && c.lr > 0)) return `its learning rate (${String(c.lr)}) is not a number above 0`;
  if (!(OPTIMIZERS as readonly unknown[]).includes(c.optimizer)) return `its optimiser '${String(c.optimizer)}' is not one of ${OPTIMIZERS.join(', ')}`;
  if (!(whole(c.seed, 0) && (c.seed as number) <= 0xffffffff)) return `its seed (${String(c.seed)}) is not a whole number from 0 to 4294967295`;
  if (!(c.patience === null || whole(c.patience, 1))) return `its patience (${String(c.patience)}) is neither null nor a whole number of at least 1`;
  if (!(typeof c.validationSplit === 'number' && c.validationSplit >= 0 && c.validationSplit < 1)) return `its validation split (${String(c.validationSplit)}) is not in [0, 1)`;
  if (!optionalWhole(c.trainLimit) || !optionalWhole(c.testLimit)) return 'its image limits are not whole numbers of at least 1';
  return null;
}

export function decodeCheckpoint(bytes: Uint8Array, file: string): Checkpoint & { seed: SeedModel; model: Sequential } {
  const { tensors, metadata } = decodeSafetensors(bytes, file, CHECKPOINT_HINT);
  const bad = (what: string) => new DataError(`${file} is not a usable checkpoint: ${what}.`, CHECKPOINT_HINT);
  if (metadata.format !== CHECKPOINT_FORMAT) throw bad(`its format is '${metadata.format ?? 'none'}', not ${CHECKPOINT_FORMAT}`);
  let meta: {
    config: RunConfig;
    epoch: number;
    history: EpochRecord[];
    globalStep: number;
    updates: number;
    optimizerState: string[];
    epochProgress?: { step: number; metrics: number[] };
  };
  try {
    meta = JSON.parse(metadata.state ?? '');
  } catch {
    throw bad('its run state is not JSON');
  }
  const c = meta?.config;
  const counters = [meta?.epoch, meta?.globalStep, meta?.updates];
  if (typeof c !== 'object' || c === null || !counters.every((n) => Number.isSafeInteger(n) && (n as number) >= 0) || !Array.isArray(meta.history) || !Array.isArray(meta.optimizerState)) {
    throw bad('its run state is incomplete');
  }
  const problem = configProblem(c as unknown as Record<string, unknown>);
  if (problem) throw bad(problem);
  const progress = meta.epochProgress;
  const isWord = (n: unknown) => Number.isInteger(n) && (n as number) >= 0 && (n as number) <= 0xffffffff;
  if (progress !== undefined && !(Number.isSafeInteger(progress?.step) && progress.step > 0 && Array.isArray(progress.metrics) && progress.metrics.every(isWord))) {
    throw bad('its position inside an epoch is malformed');
  }
  let seed: SeedModel;
  try {
    seed = seedModel(String(c.model));
  } catch {
    throw bad(`it is for an unknown model '${String(c.model)}'`);
  }
  if (metadata.model !== seed.name) throw bad(`its tensors are for '${metadata.model}', its settings for '${seed.name}'`);
  const model = seed.build();
  const gather = (prefix: string) => {
    const out = new Float32Array(model.params.totalElements);
    for (const e of model.params.entries) {
      const name = `${prefix}${e.layerName}.${e.spec.name}`;
      const t = tensors.get(name);
      if (!t) throw bad(`tensor '${name}' is missing (is it from another model?)`);
      if (t.shape.join('x') !== e.spec.shape.join('x')) throw bad(`tensor '${name}' has shape [${t.shape.join(', ')}], the ${model.name} model needs [${e.spec.shape.join(', ')}]`);
      if (!t.data.every(Number.isFinite)) throw bad(`tensor '${name}' holds NaN or infinite values`);
      out.set(t.data, e.offset);
    }
    return out;
  };
  const optimizer: Record<string, Float32Array> = {};
  for (const name of meta.optimizerState) optimizer[String(name)] = gather(`${String(name)}/`);
  const scale = tensors.get('preprocess.scale')?.data;
  const shift = tensors.get('preprocess.shift')?.data;
  const pixels = model.inputSize;
  if (!scale || !shift || scale.length !== pixels || shift.length !== pixels) throw bad('the pre-processing tensors are missing');
  return {
    seed,
    model,
    config: c,
    epoch: meta.epoch,
    history: meta.history,
    state: {
      params: gather(''),
      optimizer,
      globalStep: meta.globalStep,
      updates: meta.updates,
      ...(progress ? { epochProgress: { step: progress.step, metrics: Uint32Array.from(progress.metrics) } } : {}),
    },
    affine: { scale: scale as Float32Array<ArrayBuffer>, shift: shift as Float32Array<ArrayBuffer> },
  };
}
