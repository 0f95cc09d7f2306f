import { UsageError } from '../errors';
import { Conv2d } from '../layers/conv2d';
import { Dense } from '../layers/dense';
import { Dropout } from '../layers/dropout';
import { Flatten } from '../layers/flatten';
import { MaxPool2d } from '../layers/maxpool2d';
import { Sequential } from './sequential';

/**
 * The three models of the seed report (../shared/spec/models.md), each with the report's
 * pre-processing and training settings, which are the defaults of `train`.
 */

export type Preprocessing = 'standardize' | 'scale01';
export type OptimizerName = 'sgd' | 'adam';

export interface TrainDefaults {
  epochs: number;
  batchSize: number;
  lr: number;
  optimizer: OptimizerName;
  /** Stop when validation loss has not improved for this many epochs (the MLP's early stopping). */
  patience: number | null;
}

export interface SeedModel {
  readonly name: ModelName;
  readonly description: string;
  build(): Sequential;
  readonly preprocessing: Preprocessing;
  readonly defaults: TrainDefaults;
  /** The report's test accuracy, for side-by-side comparison. */
  readonly reportedAccuracy: number;
}

export const MODEL_NAMES = ['one-hidden', 'mlp', 'cnn'] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

const SEED_MODELS: Record<ModelName, SeedModel> = {
  'one-hidden': {
    name: 'one-hidden',
    description: 'one hidden layer of 128 sigmoid units',
    build: () =>
      new Sequential('one-hidden', [784], [new Dense(128, 'sigmoid', 'dense_1'), new Dense(10, 'softmax', 'dense_2')]),
    preprocessing: 'standardize',
    defaults: { epochs: 50, batchSize: 32, lr: 0.03, optimizer: 'sgd', patience: null },
    reportedAccuracy: 0.84,
  },
  mlp: {
    name: 'mlp',
    description: 'four dense ReLU layers (512, 256, 128, 10)',
    build: () =>
      new Sequential('mlp', [28, 28, 1], [
        new Flatten('flatten_1'),
        new Dense(512, 'relu', 'dense_1'),
        new Dense(256, 'relu', 'dense_2'),
        new Dense(128, 'relu', 'dense_3'),
        new Dense(10, 'softmax', 'dense_4'),
      ]),
    preprocessing: 'scale01',
    defaults: { epochs: 15, batchSize: 256, lr: 1e-4, optimizer: 'adam', patience: 3 },
    reportedAccuracy: 0.8828,
  },
  cnn: {
    name: 'cnn',
    description: 'two 3x3 conv + max-pool blocks with dropout, then two dense layers',
    build: () =>
      new Sequential('cnn', [28, 28, 1], [
        new Conv2d({ filters: 64, kernelSize: 3, padding: 'same', activation: 'relu' }, 'conv2d_1'),
        new Dropout(0.2, 'dropout_1'),
        new MaxPool2d({ poolSize: 2 }, 'max_pooling2d_1'),
        new Conv2d({ filters: 32, kernelSize: 3, padding: 'same', activation: 'relu' }, 'conv2d_2'),
        new Dropout(0.2, 'dropout_2'),
        new MaxPool2d({ poolSize: 2 }, 'max_pooling2d_2'),
        new Flatten('flatten_1'),
        new Dense(256, 'relu', 'dense_1'),
        new Dense(10, 'softmax', 'dense_2'),
      ]),
    preprocessing: 'scale01',
    defaults: { epochs: 10, batchSize: 64, lr: 1e-3, optimizer: 'adam', patience: null },
    reportedAccuracy: 0.9199,
  },
};

export function seedModel(name: string): SeedModel {
  if (!(MODEL_NAMES as readonly string[]).includes(name)) {
    throw new UsageError(`Unknown model '${name}'.`, `Choose one of: ${MODEL_NAMES.join(', ')}.`);
  }
  return SEED_MODELS[name as ModelName];
}
