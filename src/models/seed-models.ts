import { UsageError } from '../errors';
import type { DataSettings } from '../data/dataset';
import type { FitSettings } from '../train/settings';
import cnn from '../../models/cnn.json';
import mlp from '../../models/mlp.json';
import oneHidden from '../../models/one-hidden.json';
import { validateDefinition, type ModelDefinition } from './definition';
import { Sequential } from './sequential';

/**
 * The three models of the seed report ("Fashion-MNIST classification", its course report), as the
 * JSON model files in models/: their `train` block holds the report's pre-processing and training
 * settings, which are the defaults of `wgml train --model <name>`.
 */
export const MODEL_NAMES = ['one-hidden', 'mlp', 'cnn'] as const;
/** A seed model's name, as `seedModel()` and `wgml train --model` take it. */
export type ModelName = (typeof MODEL_NAMES)[number];

/** A seed model: its definition with the report's settings, and a way to build it untrained. */
export interface SeedModel {
  readonly name: ModelName;
  /** One line on the architecture, e.g. 'one hidden layer of 128 sigmoid units'. */
  readonly description: string;
  readonly definition: ModelDefinition;
  /** The report's training settings (epochs are the report's; the seed is 1, as every CLI run's default). */
  readonly fit: FitSettings;
  readonly data: Pick<DataSettings, 'preprocessing'>;
  /** The report's test accuracy, for side-by-side comparison. */
  readonly reportedAccuracy: number;
  /** A new, untrained Sequential of this definition: compile(gpu) initialises its weights. */
  build(): Sequential;
}

const DEFINITIONS: Record<ModelName, { definition: unknown; description: string; reportedAccuracy: number }> = {
  'one-hidden': { definition: oneHidden, description: 'one hidden layer of 128 sigmoid units', reportedAccuracy: 0.84 },
  mlp: { definition: mlp, description: 'four dense ReLU layers (512, 256, 128, 10)', reportedAccuracy: 0.8828 },
  cnn: { definition: cnn, description: 'two 3x3 conv + max-pool blocks with dropout, then two dense layers', reportedAccuracy: 0.9199 },
};

/**
 * The seed model called `name` ('one-hidden', 'mlp' or 'cnn'): `seedModel('cnn').build()` gives the
 * report's CNN, `.fit` and `.data` its training settings. Throws a UsageError for any other name.
 */
export function seedModel(name: string): SeedModel {
  if (!(MODEL_NAMES as readonly string[]).includes(name)) {
    throw new UsageError(`Unknown model '${name}'.`, `Choose one of: ${MODEL_NAMES.join(', ')}, or pass a JSON model file.`);
  }
  const seed = DEFINITIONS[name as ModelName];
  const definition = validateDefinition(seed.definition, `models/${name}.json`);
  const t = definition.train!;
  return {
    name: name as ModelName,
    description: seed.description,
    definition,
    fit: { epochs: t.epochs!, batchSize: t.batchSize!, lr: t.lr!, optimizer: t.optimizer!, seed: 1, patience: t.patience ?? null },
    data: { preprocessing: t.preprocessing! },
    reportedAccuracy: seed.reportedAccuracy,
    build: () => Sequential.fromJSON(definition),
  };
}
