import { Option } from 'commander';
import { MODEL_NAMES, OPTIMIZERS, PRECISIONS } from '../index';
import { fraction, oneOf, positiveInt, positiveNumber, seedValue } from './args';

/** Options several commands share, defined once. */

export const modelOption = (required = true) => {
  const o = new Option('-m, --model <name|file>', `model: ${MODEL_NAMES.join(', ')}, or a JSON model file`);
  return required ? o.makeOptionMandatory() : o;
};
export const dataOption = () =>
  new Option('--data <path>', 'a dataset folder (IDX as MNIST, CIFAR-10/100 binary) or an .npz file (default: $WGML_DATA, else Fashion-MNIST from ./data/fashion-mnist or /usr/share/datasets/fashion-mnist)');
export const epochsOption = () => new Option('-e, --epochs <n>', "epochs (default: the model's: the report's for the seed models)").argParser(positiveInt('--epochs'));
export const batchOption = () => new Option('-b, --batch-size <n>', "batch size (default: the model's)").argParser(positiveInt('--batch-size'));
export const lrOption = () => new Option('--lr <rate>', "learning rate (default: the model's)").argParser(positiveNumber('--lr'));
export const optimizerOption = () => new Option('--optimizer <name>', "sgd or adam (default: the model's)").argParser(oneOf('--optimizer', OPTIMIZERS));
export const precisionOption = () =>
  new Option('--precision <policy>', "float32 (default), or mixed_float16: dense layers train on an f16 copy of their weights (faster where loads cost, not bit-compatible)").argParser(oneOf('--precision', PRECISIONS));
export const seedOption = () => new Option('--seed <n>', "seed for initialisation, shuffling and dropout (default: the model file's, else 1)").argParser(seedValue);
export const validationOption = () =>
  new Option('--validation-split <fraction>', 'validate on this last fraction of the training set instead of the test set (as the report did)')
    .default(0)
    .argParser(fraction('--validation-split'));
export const limitOption = () => new Option('--limit <n>', 'train on only the first N training images (a quick run)').argParser(positiveInt('--limit'));
