/**
 * The messages between a RemoteGpu (the page's side) and serveWorker (the worker's side). One
 * table, `Methods`, types both ends: a call names a method and its arguments, and is answered by
 * its result or by the error it threw. fit's callbacks travel back as events of their call; an
 * async onEpochEnd is awaited across the thread boundary (the worker waits for an ack), so
 * `model.checkpoint()` from inside it sees the epoch just finished, as in-process.
 */
import type { AdapterDescription, GpuFeature, GpuOptions } from '../gpu/device';
import type { DataSettings, DatasetArrays, DatasetOptions } from '../data/dataset';
import type { ModelDefinition } from '../models/definition';
import type { Evaluation } from '../models/runtime';
import type { BatchProgress, EpochLogs, EpochRecord, FitOptions, History } from '../train/fit';
import type { ProfileSettings, StepProfile } from '../train/profile-step';
import type { TuneChoice, TuneMode } from '../tune/tuner';
import { DataError, DivergedError, GpuError, InterruptedError, ShapeError, UsageError, WgmlError } from '../errors';

/** Anything that carries messages both ways: a Worker, a worker's global scope, a MessagePort. */
export interface Endpoint {
  /** Sends a message (structured-cloned) to the other side. */
  postMessage(message: unknown, transfer?: Transferable[]): void;
  /** Hears the other side's messages. */
  addEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
  /** Stops hearing them. */
  removeEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
}

/** What the worker's device is, for the page to show. */
export interface RemoteGpuInfo {
  adapterInfo: AdapterDescription;
  features: GpuFeature[];
  /** describeGpu's line: adapter and features. */
  description: string;
}

/** What the page knows of a dataset that lives in the worker. */
export interface RemoteDatasetInfo {
  id: number;
  shape: number[];
  classes: string[];
  settings: DataSettings;
  source: string;
  counts: { train: number; validation: number; test: number | null };
}

/** The worker's kernel tuning (src/tune) so far, for the page to show: tuningSettings(), tuningChoices() and tuningMs() there. */
export interface RemoteTuning {
  mode: TuneMode;
  /** Where its choices persist (the store's `where`), or null: for the session only. */
  store: string | null;
  /** Each decision on the worker's device, in order. */
  choices: TuneChoice[];
  /** Wall-clock ms spent timing candidates on it. */
  ms: number;
}

/** A model sent to the worker: its definition, or (trained or loaded weights) model.save()'s bytes. */
export type ModelTransfer = { definition: ModelDefinition } | { weights: Uint8Array };

/** fit's options as they cross: the callbacks and the signal stay on the page's side. */
export type FitTransfer = Omit<FitOptions, 'callbacks' | 'signal'> & { callbacks: { epochBegin: boolean; batchEnd: boolean; epochEnd: boolean } };

export interface Methods {
  init(options: Omit<GpuOptions, 'device'>): RemoteGpuInfo;
  createDataset(arrays: DatasetArrays, options: DatasetOptions): RemoteDatasetInfo;
  releaseDataset(dataset: number): void;
  compile(model: ModelTransfer, seed: number | undefined): { id: number; definition: ModelDefinition };
  fit(model: number, dataset: number, options: FitTransfer): History;
  evaluate(model: number, dataset: number, options: { split?: 'test' | 'validation'; batchSize?: number; probabilities?: boolean }): Evaluation;
  predict(model: number, images: Uint8Array | Float32Array, options: { batchSize?: number }): Float32Array;
  save(model: number, metadata: Record<string, string>): Uint8Array;
  checkpoint(model: number): Uint8Array;
  getWeights(model: number): Float32Array;
  releaseModel(model: number): void;
  profile(model: ModelTransfer, arrays: DatasetArrays, settings: ProfileSettings): StepProfile;
  tuning(): RemoteTuning;
  release(): void;
}
export type Method = keyof Methods;

/** Events of a call in progress: fit's callbacks, profile's stages. */
export type CallEvent =
  | { kind: 'epochBegin'; epoch: number; info: { steps: number; images: number } }
  | { kind: 'batchEnd'; progress: BatchProgress }
  | { kind: 'epochEnd'; record: EpochRecord; logs: EpochLogs; ack: number }
  | { kind: 'stage'; text: string };

/** Page to worker. */
export type ToWorker =
  | { type: 'call'; id: number; method: Method; args: unknown[] }
  | { type: 'abort'; id: number }
  | { type: 'ack'; ack: number; error?: SerializedError };

/** Worker to page. */
export type FromWorker =
  | { type: 'result'; id: number; value: unknown }
  | { type: 'error'; id: number; error: SerializedError }
  | { type: 'event'; id: number; event: CallEvent }
  | { type: 'lost'; description: string }
  | { type: 'uncaptured'; message: string };

export interface SerializedError {
  name: string;
  message: string;
  hint?: string;
}

const ERRORS: Record<string, new (message: string, hint?: string) => WgmlError> = {
  WgmlError, UsageError, DataError, ShapeError, GpuError, DivergedError, InterruptedError,
};

/** An error as it can cross a thread: its class name, its message without the hint, the hint. */
export function serializeError(e: unknown): SerializedError {
  if (e instanceof WgmlError) {
    const message = e.hint ? e.message.slice(0, e.message.length - e.hint.length - 3) : e.message;
    return { name: e.name, message, ...(e.hint ? { hint: e.hint } : {}) };
  }
  if (e instanceof Error) return { name: e.name, message: e.message };
  return { name: 'Error', message: String(e) };
}

/** The same typed error on this side (a UsageError stays a UsageError), or a plain Error. */
export function deserializeError(s: SerializedError): Error {
  const Typed = ERRORS[s.name];
  if (Typed) return new Typed(s.message, s.hint);
  const e = new Error(s.message);
  e.name = s.name;
  return e;
}
