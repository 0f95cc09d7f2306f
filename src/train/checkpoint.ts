import { DataError } from '../errors';
import { dataSettingsProblem, type DataSettings } from '../data/dataset';
import type { PixelAffine } from '../data/preprocess';
import { decodeSafetensors, encodeSafetensors, type SafetensorsFile } from '../io/safetensors';
import type { ModelDefinition } from '../models/definition';
import type { Sequential } from '../models/sequential';
import type { EpochRecord } from './fit';
import { fitSettingsProblem, type FitSettings } from './settings';
import type { TrainerState } from './trainer';
import { affineOf, architectureOf, gatherParams, modelTensors } from './weights';

/**
 * A checkpoint is one safetensors file, so one atomic rename replaces it: the model's parameters
 * under their layer names (as in a weights file), the optimiser's state as `<state>/<layer>.<name>`
 * (e.g. `m/dense_1.kernel`), the pre-processing, and in the header's metadata the architecture
 * (a JSON model definition) and, as JSON, the run's settings, step counters and history. Our
 * random numbers are counter-based (a pure function of seed, step and element), so the counters
 * are the whole RNG state.
 */
export const CHECKPOINT_FORMAT = 'wgml-checkpoint/2';
export const CHECKPOINT_FILE = 'checkpoint.safetensors';

/** Everything needed to continue a run exactly as if never interrupted. */
export interface Checkpoint {
  fit: FitSettings;
  data: DataSettings;
  /** Epochs completed (the state may also be part-way through the next: state.epochProgress). */
  epoch: number;
  history: EpochRecord[];
  state: TrainerState;
  affine: PixelAffine;
}

export function encodeCheckpoint(model: Sequential, c: Checkpoint): Uint8Array {
  const tensors = [
    ...modelTensors(model, c.state.params, c.affine),
    ...Object.entries(c.state.optimizer).flatMap(([name, values]) => modelTensors(model, values, null, `${name}/`)),
  ];
  const progress = c.state.epochProgress;
  const meta = {
    fit: c.fit,
    data: c.data,
    epoch: c.epoch,
    history: c.history,
    globalStep: c.state.globalStep,
    updates: c.state.updates,
    optimizerState: Object.keys(c.state.optimizer),
    // A checkpoint taken inside epoch `epoch + 1` (an interrupted run): its step and metric words.
    ...(progress ? { epochProgress: { step: progress.step, metrics: [...progress.metrics] } } : {}),
  };
  return encodeSafetensors(tensors, { format: CHECKPOINT_FORMAT, model: model.name, architecture: JSON.stringify(model.toJSON()), state: JSON.stringify(meta) });
}

export const CHECKPOINT_HINT = 'Resume from a checkpoint wgml wrote (model.checkpoint(), or checkpoint.safetensors in a `wgml train` results folder), or start a new run.';

/** A checkpoint file's architecture and its checked run state; the parameters need the model (readCheckpointTensors). */
export function decodeCheckpointFile(bytes: Uint8Array, file: string): { decoded: SafetensorsFile; definition: ModelDefinition; meta: CheckpointMeta } {
  const decoded = decodeSafetensors(bytes, file, CHECKPOINT_HINT);
  const bad = (what: string) => new DataError(`${file} is not a usable checkpoint: ${what}.`, CHECKPOINT_HINT);
  const { metadata } = decoded;
  if (metadata.format !== CHECKPOINT_FORMAT) throw bad(`its format is '${metadata.format ?? 'none'}', not ${CHECKPOINT_FORMAT}`);
  let meta: CheckpointMeta;
  try {
    meta = JSON.parse(metadata.state ?? '');
  } catch {
    throw bad('its run state is not JSON');
  }
  const counters = [meta?.epoch, meta?.globalStep, meta?.updates];
  if (typeof meta?.fit !== 'object' || meta.fit === null || typeof meta.data !== 'object' || meta.data === null ||
      !counters.every((n) => Number.isSafeInteger(n) && (n as number) >= 0) || !Array.isArray(meta.history) || !Array.isArray(meta.optimizerState)) {
    throw bad('its run state is incomplete');
  }
  const recordKeys = ['epoch', 'loss', 'accuracy', 'valLoss', 'valAccuracy', 'seconds', 'imagesPerSecond'] as const;
  if (meta.history.length !== meta.epoch || !meta.history.every((r, i) => typeof r === 'object' && r !== null && r.epoch === i + 1 && recordKeys.every((k) => typeof r[k] === 'number'))) {
    throw bad(`its history does not hold epochs 1 to ${meta.epoch}`);
  }
  const problem = fitSettingsProblem(meta.fit as unknown as Record<string, unknown>) ?? dataSettingsProblem(meta.data as unknown as Record<string, unknown>);
  if (problem) throw bad(`its saved ${problem}`);
  const progress = meta.epochProgress;
  const isWord = (n: unknown) => Number.isInteger(n) && (n as number) >= 0 && (n as number) <= 0xffffffff;
  if (progress !== undefined && !(Number.isSafeInteger(progress?.step) && progress.step > 0 && Array.isArray(progress.metrics) && progress.metrics.every(isWord))) {
    throw bad('its position inside an epoch is malformed');
  }
  return { decoded, definition: architectureOf(decoded, file, CHECKPOINT_HINT), meta };
}

/** The checkpoint of `model` (built from the file's architecture). */
export function readCheckpoint(file: string, decoded: SafetensorsFile, meta: CheckpointMeta, model: Sequential): Checkpoint {
  const optimizer: Record<string, Float32Array> = {};
  for (const name of meta.optimizerState) optimizer[String(name)] = gatherParams(decoded, model, file, `${String(name)}/`);
  const progress = meta.epochProgress;
  return {
    fit: meta.fit,
    data: meta.data,
    epoch: meta.epoch,
    history: meta.history,
    state: {
      params: gatherParams(decoded, model, file, ''),
      optimizer,
      globalStep: meta.globalStep,
      updates: meta.updates,
      ...(progress ? { epochProgress: { step: progress.step, metrics: Uint32Array.from(progress.metrics) } } : {}),
    },
    affine: affineOf(decoded, model, file, CHECKPOINT_HINT),
  };
}

/** The run state a checkpoint's metadata holds, as written by encodeCheckpoint. */
export interface CheckpointMeta {
  fit: FitSettings;
  data: DataSettings;
  epoch: number;
  history: EpochRecord[];
  globalStep: number;
  updates: number;
  optimizerState: string[];
  epochProgress?: { step: number; metrics: number[] };
}
