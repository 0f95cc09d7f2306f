import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DataError, describeGpu, FIT_DEFAULTS, loadModel, requestGpu, seedModel, Sequential, UsageError, MODEL_NAMES, type DatasetArrays, type FitSettings, type Gpu, type ModelDefinition, type Preprocessing } from '../index';
import { DATA_ENV, loadDatasetFromDisk, loadFashionMnistFromDisk } from '../node';
import { classCount } from '../data/dataset';

/** Shared plumbing of the commands: data and model first (bad input fails before any GPU work), then the GPU. */

/**
 * The data `--data PATH` names (any format: IDX, CIFAR, .npz), else $WGML_DATA's (an error when it
 * is wrong, never a fallback), else Fashion-MNIST from its usual places.
 */
export async function loadData(path: string | undefined, log: (line: string) => void): Promise<DatasetArrays> {
  const fromEnv = process.env[DATA_ENV] || undefined;
  let data: DatasetArrays;
  if (path !== undefined || fromEnv !== undefined) {
    data = await loadDatasetFromDisk((path ?? fromEnv)!).catch((e: unknown) => {
      if (path === undefined && e instanceof DataError) throw new DataError(`$${DATA_ENV}: ${e.message.split('\n')[0]}`, e.hint ?? `Fix or unset $${DATA_ENV}.`);
      throw e;
    });
  } else {
    data = await loadFashionMnistFromDisk({ env: {} });
  }
  const classes = typeof data.classes === 'number' ? data.classes : data.classes?.length;
  log(`data: ${data.source} (${data.train.labels.length.toLocaleString('en-US')} train, ${(data.test?.labels.length ?? 0).toLocaleString('en-US')} test; ${data.shape.join('x')}, ${classes === undefined ? 'classes from the labels' : classCount(classes)})`);
  return data;
}

/** Runs `body` with a GPU and always releases it (device first), so the process can exit cleanly. */
export async function withGpu<T>(log: (line: string) => void, body: (gpu: Gpu) => Promise<T>): Promise<T> {
  const gpu = await requestGpu();
  log(`adapter: ${describeGpu(gpu)}`);
  try {
    return await body(gpu);
  } finally {
    gpu.release();
  }
}

export const log = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

/** A model as `--model` names it: one of the seed models, or a JSON model file. */
export interface ModelChoice {
  readonly name: string;
  readonly definition: ModelDefinition;
  /** Training defaults: the file's `train` block over fit()'s defaults (seed 1, as the --seed flag's default). */
  readonly fit: Omit<FitSettings, 'epochs'> & { epochs: number };
  readonly preprocessing: Preprocessing;
  /** The seed report's accuracy, for the seed models. */
  readonly reportedAccuracy?: number;
  build(): Sequential;
}

/** Epochs when a model file does not say. */
const DEFAULT_EPOCHS = 10;

/** Resolves `--model`: a seed model's name, or a path to a JSON model file (validated before any GPU work). */
export async function resolveModel(value: string): Promise<ModelChoice> {
  if ((MODEL_NAMES as readonly string[]).includes(value)) {
    const seed = seedModel(value);
    return { name: seed.name, definition: seed.definition, fit: seed.fit, preprocessing: seed.data.preprocessing, reportedAccuracy: seed.reportedAccuracy, build: seed.build };
  }
  const info = await stat(value).catch(() => null);
  if (!info) throw new UsageError(`Unknown model '${value}': not one of ${MODEL_NAMES.join(', ')}, and no such file.`, `Pass --model ${MODEL_NAMES.join('|')}, or the path of a JSON model file.`);
  if (!info.isFile()) throw new UsageError(`--model '${value}' is not a file.`, 'Pass the path of a JSON model file.');
  const text = await readFile(value, 'utf8').catch((e: Error) => {
    throw new UsageError(`Cannot read the model file '${value}': ${e.message}.`);
  });
  const model = Sequential.fromJSON(text, value);
  const definition = model.toJSON();
  const t = definition.train ?? {};
  return {
    name: model.name,
    definition,
    fit: {
      epochs: t.epochs ?? DEFAULT_EPOCHS,
      batchSize: t.batchSize ?? FIT_DEFAULTS.batchSize,
      optimizer: t.optimizer ?? FIT_DEFAULTS.optimizer,
      lr: t.lr ?? FIT_DEFAULTS.lr,
      seed: t.seed ?? 1,
      patience: t.patience ?? null,
    },
    preprocessing: t.preprocessing ?? 'none',
    build: () => Sequential.fromJSON(definition),
  };
}

const WEIGHTS_HINT = 'Pass a weights.safetensors file or the results folder that `wgml train` wrote.';

/** The model in `--weights PATH` (a weights file, or a results folder holding weights.safetensors), and the file it came from. */
export async function loadWeights(path: string): Promise<{ model: Sequential; file: string }> {
  const info = await stat(path).catch(() => {
    throw new DataError(`No weights at '${path}'.`, WEIGHTS_HINT);
  });
  const file = info.isDirectory() ? join(path, 'weights.safetensors') : path;
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(file));
  } catch (e) {
    throw new DataError(`Cannot read '${file}': ${(e as Error).message}`, WEIGHTS_HINT);
  }
  return { model: loadModel(bytes, file), file };
}
