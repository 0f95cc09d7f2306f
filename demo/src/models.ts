/**
 * The models the picker offers: the report's three seed models, and any JSON model file a person
 * picks or drops (the format of the README's "Model files", read by `Sequential.fromJSON`), or the
 * architecture of loaded weights. Each brings its training defaults: the report's for a seed
 * model, the file's `train` block (else the command line's defaults) for the others.
 */
import {
  FIT_DEFAULTS, MODEL_NAMES, seedModel, Sequential,
  type FitSettings, type ModelDefinition, type Preprocessing,
} from '../../src/index';
import { classCount } from './dom';

/** One entry of the model picker. */
export interface DemoModel {
  /** The picker's value: a seed model's name, or `file:<n>` / `weights:<n>`. */
  readonly id: string;
  /** The model's own name (model.name): weights files and captions use it. */
  readonly name: string;
  /** Where it came from: 'seed', a model file's name, or a weights file's name. */
  readonly origin: string;
  readonly description: string;
  readonly definition: ModelDefinition;
  /** The defaults the settings form starts from. */
  readonly fit: FitSettings;
  readonly preprocessing: Preprocessing;
  /** The file's `train.validationSplit`, when it gives one. */
  readonly validationSplit?: number;
  /** A seed model's test accuracy in the report (on Fashion-MNIST). */
  readonly reportedAccuracy?: number;
  /** One instance, never compiled: for the summary, the input shape and the fits-the-data check. */
  readonly model: Sequential;
  /** A new, untrained instance for a run or a profile. */
  build(): Sequential;
}

/** The command line's defaults for a model file without them (src/cli/context.ts). */
const FILE_EPOCHS = 10;
const FILE_SEED = 1;

/** The seed model `name` ('one-hidden', 'mlp', 'cnn'). */
export function seedDemoModel(name: string): DemoModel {
  const seed = seedModel(name);
  return {
    id: seed.name,
    name: seed.name,
    origin: 'seed',
    description: seed.description,
    definition: seed.definition,
    fit: seed.fit,
    preprocessing: seed.data.preprocessing,
    reportedAccuracy: seed.reportedAccuracy,
    model: seed.build(),
    build: seed.build,
  };
}

export const SEED_MODELS: readonly DemoModel[] = MODEL_NAMES.map(seedDemoModel);

let serial = 0;

/**
 * A model definition from a JSON model file's text (`source`: the file's name) or a model's own
 * `toJSON()`; a wrong file is a UsageError or ShapeError naming the file, the field and the fix.
 */
export function definitionModel(definition: string | ModelDefinition, source: string, kind: 'file' | 'weights'): DemoModel {
  const model = Sequential.fromJSON(definition, source);
  const def = model.toJSON();
  const t = def.train ?? {};
  const fit: FitSettings = {
    epochs: t.epochs ?? FILE_EPOCHS,
    batchSize: t.batchSize ?? FIT_DEFAULTS.batchSize,
    optimizer: t.optimizer ?? FIT_DEFAULTS.optimizer,
    lr: t.lr ?? FIT_DEFAULTS.lr,
    seed: t.seed ?? FILE_SEED,
    patience: t.patience ?? null,
  };
  return {
    id: `${kind}:${++serial}`,
    name: model.name,
    origin: source,
    description: `${model.name}, from ${source}: input ${shapeText(model.inputShape)}, ${classCount(model.classes)}`,
    definition: def,
    fit,
    preprocessing: t.preprocessing ?? 'none',
    ...(t.validationSplit !== undefined ? { validationSplit: t.validationSplit } : {}),
    model,
    build: () => Sequential.fromJSON(def, source),
  };
}

/** The same model by name, input shape and layers (training defaults aside): weights trained from a picker's entry. */
export function sameArchitecture(a: Sequential, b: Sequential): boolean {
  const { train: _a, ...x } = a.toJSON();
  const { train: _b, ...y } = b.toJSON();
  return JSON.stringify(x) === JSON.stringify(y);
}

/** `[32, 32, 3]`, as the library's messages write shapes. */
export const shapeText = (shape: readonly number[]): string => `[${shape.join(', ')}]`;

export const sameShape = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((d, i) => d === b[i]);
