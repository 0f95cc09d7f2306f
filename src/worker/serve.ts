/**
 * The worker's side of RemoteGpu: one GPU device, and the datasets and models the page made on
 * it, kept by number. Each call runs the same library code the page would run in-process; fit's
 * callbacks go back as events. Nothing here touches the DOM, so it runs in a dedicated worker, or
 * on the page's own thread behind a MessageChannel (RemoteGpu.inProcess, for browsers whose
 * workers lack WebGPU).
 */
import { describeGpu, requestGpu, type Gpu } from '../gpu/device';
import { createDataset, type Dataset } from '../data/dataset';
import { UsageError } from '../errors';
import { loadModel } from '../models/load';
import { Sequential } from '../models/sequential';
import type { FitCallbacks } from '../train/fit';
import { profileTrainingStep } from '../train/profile-step';
import { tuningChoices, tuningMs, tuningSettings } from '../tune/tuner';
import {
  deserializeError, serializeError,
  type CallEvent, type Endpoint, type FromWorker, type Methods, type ModelTransfer, type RemoteDatasetInfo, type ToWorker,
} from './protocol';

/**
 * Answers a RemoteGpu's calls on `endpoint`: in a worker script, `serveWorker()` is all it takes
 * (the endpoint is then the worker's global scope). Returns a function that stops listening.
 */
export function serveWorker(endpoint: Endpoint = globalThis as unknown as Endpoint): () => void {
  const server = new WorkerServer(endpoint);
  const listener = (event: MessageEvent) => server.receive(event.data as ToWorker);
  endpoint.addEventListener('message', listener);
  (endpoint as { start?: () => void }).start?.();
  return () => endpoint.removeEventListener('message', listener);
}

class WorkerServer {
  #gpu: Gpu | null = null;
  readonly #datasets = new Map<number, Dataset>();
  readonly #models = new Map<number, Sequential>();
  /** Aborts for the fit calls in progress, by call id. */
  readonly #aborts = new Map<number, AbortController>();
  /** onEpochEnd acks the page owes, by ack number. */
  readonly #acks = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  #next = 1;

  constructor(private readonly endpoint: Endpoint) {}

  receive(message: ToWorker): void {
    if (message.type === 'abort') this.#aborts.get(message.id)?.abort();
    else if (message.type === 'ack') {
      const waiting = this.#acks.get(message.ack);
      this.#acks.delete(message.ack);
      if (message.error) waiting?.reject(deserializeError(message.error));
      else waiting?.resolve();
    } else if (message.type === 'call') void this.call(message.id, message.method, message.args);
  }

  private post(message: FromWorker): void {
    this.endpoint.postMessage(message);
  }

  private async call(id: number, method: keyof Methods, args: unknown[]): Promise<void> {
    try {
      const handler = this.handlers[method] as (id: number, ...args: unknown[]) => unknown;
      this.post({ type: 'result', id, value: await handler(id, ...args) });
    } catch (e) {
      this.post({ type: 'error', id, error: serializeError(e) });
    }
  }

  private event(id: number, event: CallEvent): void {
    this.post({ type: 'event', id, event });
  }

  private get gpu(): Gpu {
    if (!this.#gpu) throw new UsageError('The worker has no GPU device yet.', 'Connect with RemoteGpu.connect(), which opens one.');
    return this.#gpu;
  }

  private dataset(id: number): Dataset {
    const d = this.#datasets.get(id);
    if (!d) throw new UsageError(`Dataset ${id} is not in the worker (it was released).`, 'Make it again with createDataset().');
    return d;
  }

  private model(id: number): Sequential {
    const m = this.#models.get(id);
    if (!m) throw new UsageError(`Model ${id} is not in the worker (it was released).`, 'Compile it again.');
    return m;
  }

  private build(transfer: ModelTransfer): Sequential {
    return 'weights' in transfer ? loadModel(transfer.weights, 'the model sent to the worker') : Sequential.fromJSON(transfer.definition, 'the model sent to the worker');
  }

  /** Each method of the protocol, with the call's id first (for its events and its abort). */
  private readonly handlers: { [M in keyof Methods]: (id: number, ...args: Parameters<Methods[M]>) => Promise<ReturnType<Methods[M]>> | ReturnType<Methods[M]> } = {
    init: async (_id, options) => {
      if (this.#gpu) throw new UsageError('This worker already has a GPU device.', 'Use one RemoteGpu per worker.');
      const gpu = await requestGpu(options);
      this.#gpu = gpu;
      gpu.onLost((description) => this.post({ type: 'lost', description }));
      gpu.device.addEventListener('uncapturederror', (e) => this.post({ type: 'uncaptured', message: (e as GPUUncapturedErrorEvent).error.message }));
      return { adapterInfo: { ...gpu.adapterInfo }, features: [...gpu.features], description: describeGpu(gpu) };
    },
    createDataset: (_id, arrays, options): RemoteDatasetInfo => {
      const d = createDataset(arrays, options);
      const id = this.#next++;
      this.#datasets.set(id, d);
      return {
        id, shape: [...d.shape], classes: [...d.classes], settings: d.settings, source: d.source,
        counts: { train: d.train.count, validation: d.validation.count, test: d.test?.count ?? null },
      };
    },
    releaseDataset: (_id, dataset) => void this.#datasets.delete(dataset),
    compile: async (_id, transfer, seed) => {
      const model = this.build(transfer);
      await model.compile(this.gpu, seed === undefined ? {} : { seed });
      const id = this.#next++;
      this.#models.set(id, model);
      return { id, definition: model.toJSON() };
    },
    fit: async (id, model, dataset, options) => {
      const abort = new AbortController();
      this.#aborts.set(id, abort);
      const { callbacks: wanted, ...rest } = options;
      const callbacks: FitCallbacks = {};
      if (wanted.epochBegin) callbacks.onEpochBegin = (epoch, info) => this.event(id, { kind: 'epochBegin', epoch, info });
      if (wanted.batchEnd) callbacks.onBatchEnd = (progress) => this.event(id, { kind: 'batchEnd', progress });
      if (wanted.epochEnd) {
        callbacks.onEpochEnd = (record, logs) =>
          new Promise<void>((resolve, reject) => {
            const ack = this.#next++;
            this.#acks.set(ack, { resolve, reject });
            this.event(id, { kind: 'epochEnd', record, logs: { ...logs, history: [...logs.history] }, ack });
          });
      }
      try {
        return await this.model(model).fit(this.dataset(dataset), { ...rest, callbacks, signal: abort.signal });
      } finally {
        this.#aborts.delete(id);
      }
    },
    evaluate: (_id, model, dataset, options) => this.model(model).evaluate(this.dataset(dataset), options),
    predict: (_id, model, images, options) => this.model(model).predict(images, options),
    save: (_id, model, metadata) => this.model(model).save(metadata),
    checkpoint: (_id, model) => this.model(model).checkpoint(),
    getWeights: (_id, model) => this.model(model).getWeights(),
    releaseModel: (_id, model) => {
      this.#models.get(model)?.release();
      this.#models.delete(model);
    },
    profile: (id, transfer, arrays, settings) => profileTrainingStep(this.gpu, this.build(transfer), arrays, settings, {}, (text) => this.event(id, { kind: 'stage', text })),
    tuning: () => {
      const { mode, store } = tuningSettings();
      return { mode, store: store?.where ?? null, choices: [...tuningChoices(this.gpu)], ms: tuningMs(this.gpu) };
    },
    release: () => {
      for (const m of this.#models.values()) m.release();
      this.#models.clear();
      this.#datasets.clear();
      this.#gpu?.release();
      this.#gpu = null;
    },
  };
}
