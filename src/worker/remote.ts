/**
 * Training in a Web Worker with the in-process API's shape: RemoteGpu stands for a Gpu,
 * RemoteDataset for a Dataset and RemoteModel for a compiled Sequential, and their methods take
 * and return the same things (fit's callbacks, AbortSignal, history and resume included). The work
 * runs in the worker (serveWorker), so the page's thread only draws.
 *
 *   // wgml-worker.ts
 *   import { serveWorker } from 'wgml';
 *   serveWorker();
 *
 *   // the page
 *   const gpu = await RemoteGpu.connect(new Worker(new URL('./wgml-worker.ts', import.meta.url), { type: 'module' }));
 *   const data = await gpu.createDataset(arrays, { preprocessing: 'scale01' });
 *   const model = await gpu.compile(seedModel('cnn').build(), { seed: 1 });
 *   const history = await model.fit(data, { epochs: 5, callbacks: { onBatchEnd: (p) => draw(p) } });
 */
import type { AdapterDescription, GpuFeature, GpuOptions } from '../gpu/device';
import type { DatasetArrays, DatasetOptions, DataSettings } from '../data/dataset';
import { GpuError, UsageError } from '../errors';
import { Sequential, type EvaluateOptions } from '../models/sequential';
import type { Evaluation } from '../models/runtime';
import type { FitOptions, History } from '../train/fit';
import type { ProfileSettings, StepProfile } from '../train/profile-step';
import {
  deserializeError, serializeError,
  type CallEvent, type Endpoint, type FromWorker, type Methods, type ModelTransfer, type RemoteDatasetInfo, type RemoteTuning, type ToWorker,
} from './protocol';
import { serveWorker } from './serve';

/** What a Worker's 'error' event carries that this needs. */
interface WorkerErrorLike {
  message?: string;
  preventDefault?(): void;
}

/** An endpoint's 'error' events: a Worker has them (a MessagePort never fires one). */
interface ErrorEvents {
  addEventListener(type: 'error', listener: (e: WorkerErrorLike) => void): void;
  removeEventListener(type: 'error', listener: (e: WorkerErrorLike) => void): void;
}

/** How long release() waits for the worker to free its device before terminating it regardless. */
const RELEASE_WAIT_MS = 2_000;

interface Pending {
  resolve(value: unknown): void;
  reject(e: Error): void;
  onEvent?(event: CallEvent): void;
}

/**
 * A GPU device in a worker (or behind a MessageChannel on this thread: `inProcess`). Like Gpu, it
 * reports a loss once through `onLost`, and `release()` frees everything on it; it also terminates
 * the worker it was connected to.
 */
export class RemoteGpu {
  readonly #endpoint: Endpoint;
  readonly #pending = new Map<number, Pending>();
  #next = 1;
  #lost: string | null = null;
  #released = false;
  #lostListeners: ((description: string) => void)[] = [];
  #errorListeners: ((message: string) => void)[] = [];
  readonly #listener = (event: MessageEvent) => this.receive(event.data as FromWorker);
  #info: { adapterInfo: AdapterDescription; features: GpuFeature[]; description: string } | null = null;
  /** Set by inProcess: the serving side, to stop with the connection. */
  #stopServing: (() => void) | null = null;

  private constructor(endpoint: Endpoint) {
    this.#endpoint = endpoint;
    endpoint.addEventListener('message', this.#listener);
    // A Worker whose script fails to load or throws reports it here: every call waiting on it fails
    // (rather than waiting for an answer that cannot come).
    (endpoint as unknown as ErrorEvents).addEventListener('error', this.#onError);
    (endpoint as { start?: () => void }).start?.();
  }

  readonly #onError = (e: WorkerErrorLike) => {
    e.preventDefault?.();
    const error = new GpuError(`The training worker failed: ${e.message || 'its script could not be loaded or threw'}.`, 'Check that the worker script is served and calls serveWorker(); the browser console has its error.');
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of pending) p.reject(error);
  };

  /**
   * Opens a GPU device in the worker at `endpoint` (a Worker running `serveWorker()`). Rejects with
   * the worker's GpuError when it has no WebGPU (then `RemoteGpu.inProcess()` trains on this thread).
   */
  static async connect(endpoint: Endpoint, options: Omit<GpuOptions, 'device'> = {}): Promise<RemoteGpu> {
    const remote = new RemoteGpu(endpoint);
    try {
      remote.#info = await remote.call('init', [options]);
    } catch (e) {
      remote.close();
      throw e;
    }
    return remote;
  }

  /** The same API on this thread, for browsers whose workers lack WebGPU (and for tests). */
  static async inProcess(options: Omit<GpuOptions, 'device'> = {}): Promise<RemoteGpu> {
    const channel = new MessageChannel();
    const stop = serveWorker(channel.port1);
    try {
      const remote = await RemoteGpu.connect(channel.port2, options);
      remote.#stopServing = () => {
        stop();
        channel.port1.close();
        channel.port2.close();
      };
      return remote;
    } catch (e) {
      stop();
      channel.port1.close();
      throw e;
    }
  }

  get adapterInfo(): AdapterDescription {
    return this.info.adapterInfo;
  }

  get features(): ReadonlySet<GpuFeature> {
    return new Set(this.info.features);
  }

  /** describeGpu's line for the worker's device: adapter and features. */
  get description(): string {
    return this.info.description;
  }

  get released(): boolean {
    return this.#released;
  }

  /** Calls `listener` if the worker's device is lost, with a description; never after release(). Returns an unsubscribe function. */
  onLost(listener: (description: string) => void): () => void {
    if (this.#lost !== null) listener(this.#lost);
    else if (!this.#released) this.#lostListeners.push(listener);
    return () => (this.#lostListeners = this.#lostListeners.filter((l) => l !== listener));
  }

  /** Calls `listener` with each GPU error no operation caught (an uncaptured error in the worker). */
  onError(listener: (message: string) => void): () => void {
    this.#errorListeners.push(listener);
    return () => (this.#errorListeners = this.#errorListeners.filter((l) => l !== listener));
  }

  /** A dataset in the worker, made by createDataset there (the arrays are copied to it). */
  async createDataset(arrays: DatasetArrays, options: DatasetOptions = {}): Promise<RemoteDataset> {
    return new RemoteDataset(this, await this.call('createDataset', [arrays, options]));
  }

  /**
   * `model` compiled in the worker, as model.compile(gpu, { seed }) does: with the weights it was
   * loaded with (loadModel, loadCheckpoint), else initialised from `seed`. `model` itself stays
   * uncompiled: the returned RemoteModel is the compiled one.
   */
  async compile(model: Sequential, options: { seed?: number } = {}): Promise<RemoteModel> {
    const { id } = await this.call('compile', [await transferOf(model), options.seed]);
    return new RemoteModel(this, id, () => model);
  }

  /**
   * loadModel(bytes) compiled in the worker: the weights file (model.save()'s bytes) is read there,
   * not on this thread, so a page can switch weights without parsing them itself.
   */
  async loadModel(bytes: Uint8Array): Promise<RemoteModel> {
    const { id, definition } = await this.call('compile', [{ weights: bytes }, undefined]);
    return new RemoteModel(this, id, () => Sequential.fromJSON(definition, 'the model in the worker'));
  }

  /** profileTrainingStep(gpu, model, data, settings) in the worker; `stage` hears what it is doing. */
  async profileTrainingStep(model: Sequential, data: DatasetArrays, settings: ProfileSettings, stage: (text: string) => void = () => {}): Promise<StepProfile> {
    return this.call('profile', [await transferOf(model), data, settings], { onEvent: (e) => e.kind === 'stage' && stage(e.text) });
  }

  /**
   * The worker's kernel tuning so far: its mode and store, each choice made on its device (models
   * compiled, profiled or loaded there choose as they are built) and the time spent timing them.
   * The worker's own configureTuning sets the mode (the library's default is 'off').
   */
  tuning(): Promise<RemoteTuning> {
    return this.call('tuning', []);
  }

  /** Frees the worker's device, models and datasets, then terminates the worker. Safe to call twice. */
  release(): void {
    if (this.#released) return;
    // Closed when the worker answers, or soon anyway (a worker whose device was lost may not).
    const timer = setTimeout(() => this.close(), RELEASE_WAIT_MS);
    const done = () => {
      clearTimeout(timer);
      this.close();
    };
    this.#pending.set(0, { resolve: done, reject: done });
    this.#endpoint.postMessage({ type: 'call', id: 0, method: 'release', args: [] } satisfies ToWorker);
    this.#released = true;
    this.#lostListeners = [];
  }

  private close(): void {
    this.#endpoint.removeEventListener('message', this.#listener);
    (this.#endpoint as unknown as ErrorEvents).removeEventListener('error', this.#onError);
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of pending) p.reject(new GpuError('The RemoteGpu was released while a call was in progress.'));
    (this.#endpoint as { terminate?: () => void }).terminate?.();
    this.#stopServing?.();
  }

  private get info() {
    if (!this.#info) throw new UsageError('This RemoteGpu is not connected.', 'Use RemoteGpu.connect().');
    return this.#info;
  }

  /**
   * Calls `method` in the worker; `onEvent` hears the call's events, and `signal` aborts it there
   * (fit stops within a few steps). @internal
   */
  call<M extends keyof Methods>(method: M, args: Parameters<Methods[M]>, options: { onEvent?: (event: CallEvent) => void; signal?: AbortSignal } = {}): Promise<ReturnType<Methods[M]>> {
    if (this.#released) return Promise.reject(new GpuError('This RemoteGpu was released, and a released GPU cannot be used again.', 'Connect a new one.'));
    const id = this.#next++;
    const { onEvent, signal } = options;
    const abort = () => this.#released || this.#endpoint.postMessage({ type: 'abort', id } satisfies ToWorker);
    signal?.addEventListener('abort', abort);
    return new Promise<ReturnType<Methods[M]>>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject, ...(onEvent ? { onEvent } : {}) });
      this.#endpoint.postMessage({ type: 'call', id, method, args } satisfies ToWorker);
    }).finally(() => signal?.removeEventListener('abort', abort));
  }

  /** Answers an onEpochEnd event (after the page's callback ran). @internal */
  ack(ack: number, error?: unknown): void {
    if (!this.#released) this.#endpoint.postMessage({ type: 'ack', ack, ...(error === undefined ? {} : { error: serializeError(error) }) } satisfies ToWorker);
  }

  private receive(message: FromWorker): void {
    if (message.type === 'lost') {
      this.#lost = message.description;
      for (const l of this.#lostListeners.splice(0)) l(message.description);
      return;
    }
    if (message.type === 'uncaptured') {
      for (const l of this.#errorListeners) l(message.message);
      return;
    }
    const pending = this.#pending.get(message.id);
    if (!pending) return;
    if (message.type === 'event') pending.onEvent?.(message.event);
    else {
      this.#pending.delete(message.id);
      if (message.type === 'result') pending.resolve(message.value);
      else pending.reject(deserializeError(message.error));
    }
  }
}

/** What the worker needs to rebuild `model`: its definition, or its weights when it has some. */
async function transferOf(model: Sequential): Promise<ModelTransfer> {
  return model.preprocessing ? { weights: await model.save() } : { definition: model.toJSON() };
}

/** A dataset that lives in a worker; its shape, classes and counts are known here. */
export class RemoteDataset {
  readonly shape: readonly number[];
  readonly classes: readonly string[];
  readonly settings: DataSettings;
  readonly source: string;
  /** Examples in each split (test: null when the dataset has none). */
  readonly counts: { readonly train: number; readonly validation: number; readonly test: number | null };
  /** @internal */
  readonly id: number;

  /** @internal Made by RemoteGpu.createDataset. */
  constructor(readonly gpu: RemoteGpu, info: RemoteDatasetInfo) {
    this.id = info.id;
    this.shape = info.shape;
    this.classes = info.classes;
    this.settings = info.settings;
    this.source = info.source;
    this.counts = info.counts;
  }

  /** Frees the worker's copy. */
  release(): void {
    void this.gpu.call('releaseDataset', [this.id]).catch(() => {});
  }
}

/**
 * A model compiled in a worker: fit, evaluate, predict, save, checkpoint and release as on
 * Sequential. The architecture (name, shapes, summary) is read on this thread, without the worker.
 */
export class RemoteModel {
  #model: Sequential | null = null;

  /** @internal `architecture` builds the (uncompiled) model on first use of name, shapes or summary. */
  constructor(readonly gpu: RemoteGpu, private readonly id: number, private readonly architecture: () => Sequential) {}

  /** The architecture, uncompiled, on this thread. */
  get model(): Sequential {
    return (this.#model ??= this.architecture());
  }

  get name(): string {
    return this.model.name;
  }

  get inputShape(): readonly number[] {
    return this.model.inputShape;
  }

  get classes(): number {
    return this.model.classes;
  }

  /** Keras' model.summary() table: layers, output shapes, parameters. */
  summary(): string {
    return this.model.summary();
  }

  /** Sequential.fit in the worker; the callbacks run here (an async onEpochEnd is awaited before the next epoch), and the signal aborts it there. */
  async fit(data: RemoteDataset, options: FitOptions): Promise<History> {
    const { callbacks = {}, signal, ...rest } = options;
    const wanted = { epochBegin: !!callbacks.onEpochBegin, batchEnd: !!callbacks.onBatchEnd, epochEnd: !!callbacks.onEpochEnd };
    const onEvent = (e: CallEvent) => {
      if (e.kind === 'epochBegin') callbacks.onEpochBegin?.(e.epoch, e.info);
      else if (e.kind === 'batchEnd') callbacks.onBatchEnd?.(e.progress);
      else if (e.kind === 'epochEnd') {
        Promise.resolve()
          .then(() => callbacks.onEpochEnd?.(e.record, e.logs))
          .then(() => this.gpu.ack(e.ack), (error: unknown) => this.gpu.ack(e.ack, error ?? new Error('onEpochEnd failed')));
      }
    };
    return this.gpu.call('fit', [this.id, data.id, { ...rest, callbacks: wanted }], { onEvent, ...(signal ? { signal } : {}) });
  }

  /** Sequential.evaluate in the worker: loss, accuracy and confusion matrix (and probabilities, when asked). */
  evaluate(data: RemoteDataset, options: EvaluateOptions & { split?: 'test' | 'validation' } = {}): Promise<Evaluation> {
    return this.gpu.call('evaluate', [this.id, data.id, options]);
  }

  /** Sequential.predict in the worker: class probabilities [count, classes] for raw examples (they are copied there). */
  predict(images: Uint8Array | Float32Array, options: { batchSize?: number } = {}): Promise<Float32Array> {
    return this.gpu.call('predict', [this.id, images, options]);
  }

  /** Sequential.save in the worker: the safetensors bytes loadModel reads. */
  save(metadata: Record<string, string> = {}): Promise<Uint8Array> {
    return this.gpu.call('save', [this.id, metadata]);
  }

  /** Sequential.checkpoint in the worker: the bytes loadCheckpoint reads, to continue the run exactly. */
  checkpoint(): Promise<Uint8Array> {
    return this.gpu.call('checkpoint', [this.id]);
  }

  /** The parameters, as one buffer in the model's layout. */
  getWeights(): Promise<Float32Array> {
    return this.gpu.call('getWeights', [this.id]);
  }

  /** Frees the model's memory in the worker. */
  release(): void {
    if (!this.gpu.released) void this.gpu.call('releaseModel', [this.id]).catch(() => {});
  }
}
