import type { Gpu } from '../gpu/device';
import { classCount, type Dataset, type DataSplit } from '../data/dataset';
import type { PixelAffine } from '../data/preprocess';
import { DataError, GpuError, ShapeError, UsageError } from '../errors';
import { layoutParams, type ParamLayout } from '../graph/params';
import { formatShape, KERAS_NAME, sizeOf, type Layer, type LayerType, type Shape } from '../layers/layer';
import { encodeCheckpoint, type Checkpoint } from '../train/checkpoint';
import { runFit, type EpochRecord, type FitOptions, type History } from '../train/fit';
import { checkFitSettings, FIT_DEFAULTS, type FitSettings } from '../train/settings';
import { checkBatchFits, Trainer } from '../train/trainer';
import { encodeWeights } from '../train/weights';
import { layersOf, parseDefinition, validateDefinition, type ModelDefinition, type TrainDefaults } from './definition';
import { ModelRuntime, type Evaluation } from './runtime';

/** What a Sequential model is made of; the same fields as a JSON model definition, with layer objects. */
export interface SequentialConfig {
  /** The shape of one example: [features] or [height, width, channels]. */
  input: readonly number[];
  layers: readonly Layer[];
  /** Default 'sequential'. */
  name?: string;
  /** Training defaults carried with the model (a model file's `train`); fit() options override them. */
  train?: TrainDefaults;
}

/** Options of Sequential.evaluate. */
export interface EvaluateOptions {
  /** Rows per GPU batch; default 500. */
  batchSize?: number;
  /** Also return the class probabilities of every example. */
  probabilities?: boolean;
}

/**
 * A stack of layers, as Keras' Sequential: shapes are inferred at construction (a misfit fails
 * there, naming the layer), then `compile(gpu)` puts the parameters on a GPU, and `fit`, `evaluate`
 * and `predict` run there. A model owns its compiled programs: inference programs are built once
 * per dataset split and batch size, the training step once per fit configuration.
 */
export class Sequential {
  readonly name: string;
  readonly inputShape: Shape;
  readonly layers: readonly Layer[];
  /** shapes[0] is the input; shapes[i + 1] is layer i's output. */
  readonly shapes: readonly Shape[];
  /** Where each parameter tensor lives in the model's one parameter buffer. */
  readonly params: ParamLayout;
  /** Training defaults carried with the model, if any. */
  readonly trainDefaults: TrainDefaults | undefined;

  #runtime: ModelRuntime | null = null;
  /** Weights and pre-processing loaded before compile(): uploaded by it. */
  #pending: { params: Float32Array; affine: PixelAffine | null } | null = null;
  #trainer: { key: string; trainer: Trainer } | null = null;
  /** The last fit's settings and epochs, for checkpoint(). */
  #run: { fit: FitSettings; data: Dataset; history: readonly EpochRecord[] } | null = null;
  #busy: string | null = null;

  constructor(config: SequentialConfig) {
    const input: readonly number[] = config.input;
    const layers: readonly Layer[] = config.layers;
    const name = config.name ?? 'sequential';
    this.name = name;
    this.trainDefaults = config.train;
    if (!(layers?.length > 0)) throw new ShapeError(`${name}: a model needs at least one layer.`);
    if (!(input?.length > 0) || input.length > 3 || input.some((d) => !Number.isSafeInteger(d) || d < 1)) {
      throw new ShapeError(`${name}: the input shape ${JSON.stringify(input)} must be one to three positive whole numbers, e.g. [28, 28, 1] for an image.`);
    }
    nameLayers(layers);
    const shapes: Shape[] = [[...input]];
    layers.forEach((layer, i) => {
      const where = `layers[${i}] (${layer.name})`;
      let out: Shape;
      try {
        out = layer.outputShape(shapes.at(-1)!);
      } catch (e) {
        if (!(e instanceof ShapeError)) throw e;
        const [first, ...rest] = e.message.split('\n');
        throw new ShapeError(`${where}: ${first!.replace(`${layer.name}: `, '').replace(/^(conv2d|maxpool): /, '')}`, e.hint ?? (rest.join(' ').trim() || undefined));
      }
      if (out.some((d) => !Number.isInteger(d) || d < 1)) {
        throw new ShapeError(`${where}: output shape ${formatShape(out)} is empty; the input ${formatShape(shapes.at(-1)!)} is too small for it.`);
      }
      shapes.push(out);
    });
    this.inputShape = shapes[0]!;
    this.layers = [...layers];
    this.shapes = shapes;
    this.params = layoutParams(layers, shapes);
    const last = layers.at(-1)!;
    if (last.activation !== 'softmax' || last.type !== 'dense') {
      throw new ShapeError(`${name}: the last layer, layers[${layers.length - 1}] (${last.name}), must be a Dense layer with activation 'softmax': the loss is softmax cross-entropy.`, "End the model with a Dense layer of one unit per class and activation 'softmax': { \"type\": \"dense\", \"units\": 10, \"activation\": \"softmax\" } in a model file, new Dense({ units: 10, activation: 'softmax' }) in code.");
    }
    // The softmax is fused into the loss, so a hidden layer has no kernel that could apply it.
    const hidden = layers.slice(0, -1).findIndex((l) => l.activation === 'softmax');
    if (hidden >= 0) throw new ShapeError(`${name}: layers[${hidden}] (${layers[hidden]!.name}): softmax is only for the last layer (it is fused into the loss).`, "Use 'relu', 'sigmoid' or 'linear' for hidden layers.");
  }

  /** Builds a model from a JSON model definition (an object, or a file's text), validating it first. */
  static fromJSON(definition: ModelDefinition | string | unknown, source?: string): Sequential {
    const def = typeof definition === 'string' ? parseDefinition(definition, source) : validateDefinition(definition, source);
    try {
      return new Sequential({ input: def.input, layers: layersOf(def), ...(def.name !== undefined ? { name: def.name } : {}), ...(def.train ? { train: def.train } : {}) });
    } catch (e) {
      // Name the file too: the model's own message names the layer and its place.
      if (e instanceof ShapeError && source) {
        const [first, ...rest] = e.message.split('\n');
        throw new ShapeError(`${source}: ${first}`, e.hint ?? (rest.join(' ').trim() || undefined));
      }
      throw e;
    }
  }

  /** The model as a JSON model definition (defaults filled in): `Sequential.fromJSON` rebuilds it. */
  toJSON(): ModelDefinition {
    return validateDefinition({
      name: this.name,
      input: [...this.inputShape],
      layers: this.layers.map((l) => l.toJSON()),
      ...(this.trainDefaults ? { train: this.trainDefaults } : {}),
    });
  }

  /** Values per example the model takes (the product of its input shape). */
  get inputSize(): number {
    return sizeOf(this.inputShape);
  }

  /** The number of classes it predicts (its last layer's units). */
  get classes(): number {
    return this.shapes.at(-1)![0]!;
  }

  /** Trainable parameters. */
  get paramCount(): number {
    return this.params.paramCount;
  }

  /** A Keras-style table: layer (type), output shape, parameter count, and the totals. */
  summary(): string {
    const rows = this.layers.map((layer, i) => {
      const count = this.params.entries.filter((e) => e.layer === i).reduce((s, e) => s + e.count, 0);
      return [`${layer.name} (${layer.kind})`, formatShape(this.shapes[i + 1]!), count.toLocaleString('en-US')];
    });
    const head = ['Layer (type)', 'Output Shape', 'Param #'];
    const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)) + 4);
    const line = (r: string[]) => r.map((cell, c) => cell.padEnd(widths[c]!)).join('').trimEnd();
    const rule = (ch: string) => ch.repeat(widths.reduce((a, b) => a + b, 0));
    const total = this.params.paramCount.toLocaleString('en-US');
    return [
      `Model: "${this.name}"`,
      rule('_'),
      line(head),
      rule('='),
      ...rows.flatMap((r, i) => [line(r), i < rows.length - 1 ? rule('_') : rule('=')]),
      `Total params: ${total}`,
      `Trainable params: ${total}`,
      'Non-trainable params: 0',
      rule('_'),
    ].join('\n');
  }

  /**
   * Puts the model on `gpu`: allocates its parameters and fills them, with the weights it was
   * loaded with, else Glorot-uniform from `seed` (default 0). Call once before fit, evaluate or predict.
   */
  async compile(gpu: Gpu, options: { seed?: number } = {}): Promise<this> {
    if (this.#runtime) throw new UsageError(`${this.name} is already compiled.`, 'Call release() first to move it to another GPU.');
    if (gpu.released) throw new GpuError('This GPU was released, and a released GPU cannot be used again.', 'Call requestGpu() for a new one.');
    const seed = options.seed ?? 0;
    if (!(Number.isSafeInteger(seed) && seed >= 0 && seed <= 0xffffffff)) throw new UsageError(`compile: seed must be a whole number from 0 to 4294967295, got ${seed}.`);
    const runtime = await ModelRuntime.create(gpu, this, seed, this.#pending?.params ?? null);
    if (this.#pending?.affine) runtime.setAffine(this.#pending.affine);
    this.#runtime = runtime;
    return this;
  }

  /** The GPU the model is compiled on, or null. */
  get gpu(): Gpu | null {
    return this.#runtime?.gpu ?? null;
  }

  /** The pre-processing the model was trained (or loaded) with, or null before that. */
  get preprocessing(): PixelAffine | null {
    return this.#runtime?.affine ?? this.#pending?.affine ?? null;
  }

  /**
   * Trains on `data.train`, validating on `data.validation` after each epoch, like Keras' fit().
   * Options not given come from the model's training defaults, then from FIT_DEFAULTS. The model
   * adopts the dataset's pre-processing, so evaluate, predict and save use it afterwards.
   */
  async fit(data: Dataset, options: FitOptions): Promise<History> {
    const runtime = this.ready('fit');
    const settings = this.fitSettings(options);
    checkFitSettings(settings);
    this.checkFits(data, settings.batchSize);
    return this.exclusive('fit', async () => {
      runtime.setAffine(data.affine);
      const trainer = await this.trainerFor(runtime, data, settings, !!options.resume);
      if (options.resume) trainer.importState(options.resume);
      this.#run = { fit: settings, data, history: options.history ?? [] };
      return runFit(runtime, trainer, data, settings, {
        ...options,
        callbacks: {
          ...options.callbacks,
          onEpochEnd: async (record, logs) => {
            this.#run = { fit: settings, data, history: [...logs.history] };
            await options.callbacks?.onEpochEnd?.(record, logs);
          },
        },
      }).then((h) => {
        this.#run = { fit: settings, data, history: h.epochs };
        return h;
      });
    });
  }

  /**
   * Loss, accuracy and confusion matrix on a dataset's test set (or its validation examples, or any
   * split), using the model's pre-processing (the dataset's when the model was never trained).
   * Needs no optimiser and no training state: it runs the compiled inference program only.
   */
  async evaluate(data: Dataset | DataSplit, options: EvaluateOptions & { split?: 'test' | 'validation' } = {}): Promise<Evaluation> {
    const runtime = this.ready('evaluate');
    const dataset = 'train' in data ? data : null;
    if (dataset) this.checkData(dataset);
    const split = dataset ? (options.split === 'validation' ? dataset.validation : dataset.test ?? dataset.validation) : (data as DataSplit);
    if (!dataset) checkSplit(split, this);
    const batchSize = positive(options.batchSize, 'evaluate: batchSize');
    return this.exclusive('evaluate', async () => {
      if (!runtime.affine && dataset) runtime.setAffine(dataset.affine);
      if (!runtime.affine) throw new UsageError(`${this.name} has no pre-processing yet.`, 'Evaluate on a Dataset (its pre-processing is used), or train or load the model first.');
      return runtime.evaluate(split, { ...(batchSize ? { batchSize } : {}), ...(options.probabilities ? { probabilities: true } : {}) });
    });
  }

  /**
   * Class probabilities for `images`: raw examples (uint8 or float32, count x input size values),
   * pre-processed on the GPU as in training. Returns [count, classes], row by row.
   */
  async predict(images: Uint8Array | Float32Array, options: { batchSize?: number } = {}): Promise<Float32Array> {
    const runtime = this.ready('predict');
    if (!(images instanceof Uint8Array || images instanceof Float32Array)) throw new UsageError('predict: images must be a Uint8Array or Float32Array.');
    const size = this.inputSize;
    if (images.length === 0 || images.length % size !== 0) {
      throw new DataError(`predict: ${images.length} values are not a whole number of examples of ${formatShape(this.inputShape)} (${size} values each).`, 'Pass count x input size values, example-major.');
    }
    if (images instanceof Float32Array && !images.every(Number.isFinite)) throw new DataError('predict: the images hold NaN or infinite values.');
    const batchSize = positive(options.batchSize, 'predict: batchSize') ?? 256;
    return this.exclusive('predict', async () => {
      if (!runtime.affine) throw new UsageError(`${this.name} has no pre-processing yet.`, 'Train it with fit(), or load trained weights, before predict().');
      return runtime.predict(images, images.length / size, batchSize);
    });
  }

  /** The parameters, as one buffer in the model's layout (see `params`). */
  async getWeights(): Promise<Float32Array> {
    return this.#runtime ? this.#runtime.readParams() : (this.#pending?.params.slice() ?? Promise.reject(new UsageError(`${this.name} has no weights yet.`, 'Call compile(gpu) first.')));
  }

  /**
   * The trained model as safetensors bytes: parameters, pre-processing and architecture; with
   * `loadModel(bytes)` it comes back with no other input. `metadata` is stored alongside. A model
   * from loadModel or loadCheckpoint can be saved before it is compiled.
   */
  async save(metadata: Record<string, string> = {}): Promise<Uint8Array> {
    const pending = this.#pending;
    if (!this.#runtime && pending?.affine) return encodeWeights(this, pending.params, pending.affine, metadata);
    const runtime = this.ready('save');
    if (!runtime.affine) throw new UsageError(`${this.name} has no pre-processing yet.`, 'Train it with fit() (or load weights) before saving.');
    return encodeWeights(this, await runtime.readParams(), runtime.affine, metadata);
  }

  /**
   * Everything needed to continue the last fit exactly: weights, optimiser state, step counters,
   * the epoch position (after an interrupted fit), settings and history. Callable from fit's
   * onEpochEnd callback and after fit returns. Continue with `loadCheckpoint`.
   */
  async checkpoint(): Promise<Uint8Array> {
    const runtime = this.ready('checkpoint');
    const run = this.#run;
    if (!run || !this.#trainer || !runtime.affine) throw new UsageError(`${this.name} has no training run to checkpoint.`, 'Call fit() first.');
    const state = await this.#trainer.trainer.exportState();
    const checkpoint: Checkpoint = { fit: run.fit, data: run.data.settings, epoch: run.history.length, history: [...run.history], state, affine: runtime.affine };
    return encodeCheckpoint(this, checkpoint);
  }

  /** Memory and dispatches of the current training step, for logs and profiling; null before fit. */
  get trainingStep(): Trainer | null {
    return this.#trainer?.trainer ?? null;
  }

  /** Frees the model's GPU memory. The model can be compiled again (its weights are then re-initialised unless loaded). */
  release(): void {
    this.#trainer?.trainer.release();
    this.#trainer = null;
    this.#runtime?.release();
    this.#runtime = null;
  }

  /** Sets weights and pre-processing to upload at compile (used by loadModel and loadCheckpoint). */
  setPendingWeights(params: Float32Array, affine: PixelAffine | null): void {
    if (this.#runtime) {
      this.#runtime.writeParams(params);
      if (affine) this.#runtime.setAffine(affine);
    } else {
      this.#pending = { params, affine };
    }
  }

  private ready(what: string): ModelRuntime {
    const runtime = this.#runtime;
    if (!runtime) throw new UsageError(`${what}: ${this.name} is not on a GPU yet.`, 'Call `await model.compile(gpu)` first.');
    if (runtime.gpu.released) throw new GpuError(`${what}: the GPU ${this.name} was compiled on was released, and a released GPU cannot be used again.`, 'Compile the model on a new GPU (model.release(), then model.compile(await requestGpu())).');
    return runtime;
  }

  private async exclusive<T>(what: string, body: () => Promise<T>): Promise<T> {
    if (this.#busy) throw new UsageError(`${what}: ${this.name} is busy with ${this.#busy}() (calls on one model cannot overlap).`, `Await the ${this.#busy}() call first.`);
    this.#busy = what;
    try {
      return await body();
    } finally {
      this.#busy = null;
    }
  }

  private fitSettings(options: FitOptions): FitSettings {
    const defaults = this.trainDefaults ?? {};
    const pick = <K extends keyof FitSettings>(k: K): FitSettings[K] => (options[k] ?? defaults[k as keyof TrainDefaults] ?? FIT_DEFAULTS[k as keyof typeof FIT_DEFAULTS]) as FitSettings[K];
    return { epochs: options.epochs, batchSize: pick('batchSize'), optimizer: pick('optimizer'), lr: pick('lr'), seed: pick('seed'), precision: pick('precision'), patience: options.patience === undefined ? (defaults.patience ?? null) : options.patience };
  }

  /** The training loop for these settings: the last one when they match, else a new one. */
  private async trainerFor(runtime: ModelRuntime, data: Dataset, s: FitSettings, fresh: boolean): Promise<Trainer> {
    const key = JSON.stringify([s.batchSize, s.optimizer, s.lr, s.seed, s.precision ?? 'float32']);
    const current = this.#trainer;
    if (current && !fresh && current.key === key && current.trainer.trainSplit === runtime.upload(data.train, 'train')) return current.trainer;
    current?.trainer.release();
    this.#trainer = null;
    const trainer = await Trainer.create(runtime, data.train, s);
    this.#trainer = { key, trainer };
    return trainer;
  }

  /**
   * Throws a typed error, before any GPU work, when `data` does not fit the model (input shape,
   * classes) or, given `batchSize`, when a batch is larger than its training examples.
   */
  checkFits(data: Dataset, batchSize?: number): void {
    this.checkData(data);
    if (batchSize !== undefined) checkBatchFits(batchSize, data.train.count);
  }

  private checkData(data: Dataset): void {
    if (data === null || typeof data !== 'object' || !('train' in data) || !('affine' in data)) {
      throw new UsageError(`${this.name}: expected a Dataset.`, 'Make one with createDataset({ train: { images, labels }, test, shape, classes }).');
    }
    const size = sizeOf(data.shape);
    // Flat data fits an image model of its size (and image data a flat model), but two image
    // shapes must agree: [3, 8, 8] read as [8, 8, 3] would train on scrambled pixels.
    const bothImages = data.shape.length > 1 && this.inputShape.length > 1;
    const sameShape = data.shape.length === this.inputShape.length && data.shape.every((d, i) => d === this.inputShape[i]);
    if (size !== this.inputSize || (bothImages && !sameShape) || data.classes.length !== this.classes) {
      throw new ShapeError(
        `${this.name} takes input ${formatShape(this.inputShape)} (${this.inputSize} values) and predicts ${classCount(this.classes)}; ${data.source} has examples of ${formatShape(data.shape)} (${size} values) and ${classCount(data.classes.length)}.`,
        `Give the model the input shape [${data.shape.join(', ')}] and a last layer of ${data.classes.length} units.`,
      );
    }
  }
}

/** Keras-style names for unnamed layers (`dense_1`, `conv2d_2`, ...); names must be unique. */
function nameLayers(layers: readonly Layer[]): void {
  const counts = new Map<LayerType, number>();
  const taken = new Set(layers.map((l) => l.name).filter(Boolean));
  for (const layer of layers) {
    if (layer.name) continue;
    let n = counts.get(layer.type) ?? 0;
    let name: string;
    do name = `${KERAS_NAME[layer.type]}_${++n}`;
    while (taken.has(name));
    counts.set(layer.type, n);
    taken.add(name);
    layer.name = name;
  }
  const seen = new Set<string>();
  for (const layer of layers) {
    if (seen.has(layer.name)) throw new ShapeError(`Two layers are named '${layer.name}'.`, 'Give each layer its own name (or none: the model numbers them).');
    seen.add(layer.name);
  }
}

function checkSplit(split: DataSplit, model: Sequential): void {
  if (!split || typeof split !== 'object' || !(split.labels instanceof Uint32Array) || split.images.length !== split.count * model.inputSize || split.count < 1) {
    throw new UsageError('evaluate: expected a Dataset or one of its splits (dataset.test, dataset.validation).');
  }
}

function positive(v: number | undefined, what: string): number | undefined {
  if (v !== undefined && !(Number.isSafeInteger(v) && v >= 1)) throw new UsageError(`${what} must be a whole number of at least 1, got ${v}.`);
  return v;
}
