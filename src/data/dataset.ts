/**
 * A dataset: labelled images of one shape, split into training, validation and test examples, with
 * the pre-processing fitted on the training examples. Pure CPU data, checked once here, so a model
 * can trust it; models upload it to their GPU when they use it.
 */
import { DataError, UsageError } from '../errors';
import { preprocessingAffine, PREPROCESSINGS, type PixelAffine, type Preprocessing } from './preprocess';

/** Images (uint8 or float32), `count x shape` values example-major, and one integer label each. */
export interface DataSplit {
  readonly images: Uint8Array | Float32Array;
  readonly labels: Uint32Array;
  readonly count: number;
}

/** Images and labels as a caller has them: labels may be any integer array. */
export interface ImagesAndLabels {
  images: Uint8Array | Float32Array;
  labels: ArrayLike<number>;
}

/** What createDataset takes; also what the file readers (IDX, ...) return. */
export interface DatasetArrays {
  train: ImagesAndLabels;
  test?: ImagesAndLabels;
  /** The shape of one example: [features] or [height, width, channels]. */
  shape: readonly number[];
  /** Class names by label, or the number of classes; default: the largest label + 1. */
  classes?: readonly string[] | number;
  /** Where the data came from (a folder, a URL), for messages and run logs. */
  source?: string;
}

/** Which examples, pre-processed how: what createDataset takes, and what a checkpoint records of the data. */
export interface DataSettings {
  preprocessing: Preprocessing;
  /** Hold out this last fraction of the training images for validation; 0: validate on the test set. */
  validationSplit: number;
  /** Train on only the first N training images. */
  trainLimit?: number;
  /** Evaluate on only the first N test images. */
  testLimit?: number;
}

/** What is wrong with data settings, or null. */
export function dataSettingsProblem(s: Record<string, unknown>): string | null {
  if (!(PREPROCESSINGS as readonly unknown[]).includes(s.preprocessing)) return `preprocessing '${String(s.preprocessing)}' must be one of ${PREPROCESSINGS.join(', ')}`;
  if (!(typeof s.validationSplit === 'number' && s.validationSplit >= 0 && s.validationSplit < 1)) return `validationSplit (${String(s.validationSplit)}) must be in [0, 1)`;
  const optionalWhole = (v: unknown) => v === undefined || (Number.isSafeInteger(v) && (v as number) >= 1);
  if (!optionalWhole(s.trainLimit) || !optionalWhole(s.testLimit)) return 'trainLimit and testLimit must be whole numbers of at least 1';
  return null;
}

/** The pre-processing, the validation split and the limits: see DataSettings. */
export type DatasetOptions = Partial<DataSettings>;

/** A checked dataset; make one with createDataset. */
export interface Dataset {
  readonly train: DataSplit;
  /** The validation examples: held out from the training data, or the test set itself. */
  readonly validation: DataSplit;
  readonly test: DataSplit | null;
  readonly shape: readonly number[];
  readonly classes: readonly string[];
  /** The pre-processing as a per-pixel map x' = x * scale + shift, fitted on `train`. */
  readonly affine: PixelAffine;
  /** The settings it was made with, defaults filled in (a checkpoint records them). */
  readonly settings: DataSettings;
  readonly source: string;
}

/**
 * Checks images and labels and builds a dataset: every image the same size, labels whole numbers
 * below the class count, float pixels finite. Throws a DataError or UsageError naming what is wrong.
 */
export function createDataset(arrays: DatasetArrays, options: DatasetOptions = {}): Dataset {
  if (arrays === null || typeof arrays !== 'object' || arrays.train === null || typeof arrays.train !== 'object') {
    throw new UsageError('createDataset needs { train: { images, labels }, shape }, with an optional test set and classes.');
  }
  if (options === null || typeof options !== 'object') throw new UsageError('createDataset: options must be an object (or left out).');
  const source = arrays.source ?? 'the dataset';
  const shape = checkShape(arrays.shape, source);
  const size = shape.reduce((a, b) => a * b, 1);
  const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  const settings: DataSettings = { preprocessing: 'none', validationSplit: 0, ...given };
  const problem = dataSettingsProblem(settings as unknown as Record<string, unknown>);
  if (problem) throw new UsageError(`createDataset: ${problem}.`);
  const { preprocessing, validationSplit: fraction } = settings;
  let train = checkSplit(arrays.train, size, `${source} (train)`);
  let test = arrays.test ? checkSplit(arrays.test, size, `${source} (test)`) : null;
  if (train.count === 0) throw new DataError(`${source} has no training examples.`, 'Pass at least one image and label.');
  if (test && test.count === 0) throw new DataError(`${source} has an empty test set.`, 'Pass test images and labels, or leave the test set out and use a validationSplit.');
  const classes = classNames(arrays.classes, [train, ...(test ? [test] : [])], source);
  for (const [split, what] of [[train, 'train'], [test, 'test']] as const) {
    if (!split) continue;
    const bad = split.labels.findIndex((l) => l >= classes.length);
    if (bad >= 0) {
      throw new DataError(`${source} (${what}): label ${split.labels[bad]} at index ${bad} is not below the ${classCount(classes.length)}.`, 'Labels must be 0 .. classes - 1: pass the right class list or fix the labels.');
    }
  }

  if (options.trainLimit !== undefined) train = firstExamples(train, options.trainLimit);
  if (test && options.testLimit !== undefined) test = firstExamples(test, options.testLimit);
  let fitOn = train;
  let validation = test;
  if (fraction > 0) {
    const held = heldOut(train.count, fraction);
    if (held >= train.count) throw new UsageError(`validationSplit ${fraction} of ${train.count} training examples leaves none to train on.`, 'Use a smaller validationSplit.');
    fitOn = slice(train, size, 0, train.count - held);
    validation = slice(train, size, train.count - held, train.count);
  }
  if (!validation) {
    throw new UsageError(`${source} has no test set to validate on.`, 'Pass test images and labels, or a validationSplit (e.g. 0.1) to hold out part of the training set.');
  }
  return {
    train: fitOn,
    validation,
    test,
    shape,
    classes,
    affine: preprocessingAffine(preprocessing, fitOn.images, size),
    settings,
    source,
  };
}

/** Examples held out for validation from a training set of `count`: Keras' validation_split. */
export function heldOut(count: number, fraction: number): number {
  return fraction > 0 ? Math.max(1, Math.round(count * fraction)) : 0;
}

/** The first `count` examples of a split (a view, no copy). */
export function firstExamples(split: DataSplit, count: number): DataSplit {
  const size = split.images.length / Math.max(1, split.count);
  return slice(split, size, 0, Math.min(count, split.count));
}

function slice(split: DataSplit, size: number, from: number, to: number): DataSplit {
  return { images: split.images.subarray(from * size, to * size), labels: split.labels.subarray(from, to), count: to - from };
}

function checkShape(shape: readonly number[], source: string): number[] {
  if (!Array.isArray(shape) || shape.length < 1 || shape.length > 3 || !shape.every((d) => Number.isSafeInteger(d) && d >= 1)) {
    throw new UsageError(`${source}: the example shape ${JSON.stringify(shape)} must be 1 to 3 positive whole numbers, e.g. [28, 28, 1] or [784].`);
  }
  return [...shape];
}

function checkSplit(data: ImagesAndLabels, size: number, what: string): DataSplit {
  const { images, labels } = data;
  if (!(images instanceof Uint8Array || images instanceof Float32Array)) {
    throw new UsageError(`${what}: images must be a Uint8Array or Float32Array.`, 'Convert them, e.g. Float32Array.from(values).');
  }
  if (labels === null || typeof labels !== 'object' || typeof labels.length !== 'number') throw new UsageError(`${what}: labels must be an array of whole numbers.`);
  const count = labels.length;
  if (images.length !== count * size) {
    throw new DataError(`${what}: ${images.length} image values for ${count} labels; examples of ${size} values need ${count * size}.`, 'Images must be count x example size, example-major, one label per image.');
  }
  const words = new Uint32Array(count);
  for (let i = 0; i < count; i++) {
    const l = labels[i]!;
    if (!(Number.isInteger(l) && l >= 0 && l <= 0xffffffff)) throw new DataError(`${what}: label ${String(l)} at index ${i} is not a whole number at least 0.`);
    words[i] = l;
  }
  if (images instanceof Float32Array) {
    const bad = images.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new DataError(`${what}: pixel ${bad} (image ${Math.floor(bad / size)}) is ${images[bad]}.`, 'Remove or fix NaN and infinite values before training.');
  }
  return { images, labels: words, count };
}

/** Class counts above this are not inferred from the labels (a stray huge label is more likely). */
const MAX_INFERRED_CLASSES = 100_000;

/** "1 class", "10 classes": for messages that count classes (a single-unit output layer is a common mistake). */
export function classCount(n: number): string {
  return `${n} ${n === 1 ? 'class' : 'classes'}`;
}

function classNames(given: DatasetArrays['classes'], splits: DataSplit[], source: string): string[] {
  if (Array.isArray(given)) {
    if (given.length < 1 || !given.every((c) => typeof c === 'string')) throw new UsageError(`${source}: classes must be a non-empty list of names or a count.`);
    return [...given];
  }
  if (given !== undefined) {
    if (!(Number.isSafeInteger(given) && (given as number) >= 1)) throw new UsageError(`${source}: classes must be a positive whole number, got ${String(given)}.`);
    return Array.from({ length: given as number }, (_, i) => String(i));
  }
  let max = 0;
  for (const s of splits) for (const l of s.labels) max = Math.max(max, l);
  if (max >= MAX_INFERRED_CLASSES) {
    throw new DataError(`${source}: the largest label is ${max}, which would mean ${classCount(max + 1)}.`, 'Pass `classes` (names or a count) if that is right, or fix the labels.');
  }
  return Array.from({ length: max + 1 }, (_, i) => String(i));
}
