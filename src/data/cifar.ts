/**
 * CIFAR-10 and CIFAR-100 in their binary ("for C programs") form
 * (https://www.cs.toronto.edu/~kriz/cifar.html). Each record is its label byte(s) then 3072 pixel
 * bytes, stored channel-major (1024 red, 1024 green, 1024 blue, each row-major 32x32); the models
 * take height x width x channels, so the readers transpose to HWC.
 *  - CIFAR-10: data_batch_1.bin .. data_batch_5.bin and test_batch.bin, 1 label byte (0-9) per record.
 *  - CIFAR-100: train.bin and test.bin, 2 label bytes (coarse 0-19, fine 0-99); we use the fine label.
 */
import { DataError } from '../errors';
import { inSource, readOptional, resolveClasses, type LoadedDataset, type ReadFile } from './files';
import { gunzip, isGzip } from './gzip';
import { CIFAR10_CLASSES, CIFAR10_FILES, CIFAR100_CLASSES, CIFAR100_FILES } from './known-datasets';

/** Which CIFAR: 10 classes (1 label byte per record) or 100 (coarse and fine label bytes). */
export type CifarVariant = 'cifar-10' | 'cifar-100';

const SIDE = 32;
const PIXELS = SIDE * SIDE;
const IMAGE = PIXELS * 3;
/** Label bytes per record. */
const LABEL_BYTES: Record<CifarVariant, number> = { 'cifar-10': 1, 'cifar-100': 2 };
const NAME: Record<CifarVariant, string> = { 'cifar-10': 'CIFAR-10', 'cifar-100': 'CIFAR-100' };

export const GET_CIFAR_HINT =
  'Get the binary version ("CIFAR-10 binary version (suitable for C programs)" or the CIFAR-100 one) from ' +
  'https://www.cs.toronto.edu/~kriz/cifar.html and unpack it (tar xzf); pass the folder holding the .bin files.';

/** One CIFAR file decoded: `count` 32x32x3 HWC uint8 images and their (fine) labels. */
export interface CifarBatch {
  images: Uint8Array<ArrayBuffer>;
  labels: Uint8Array<ArrayBuffer>;
  count: number;
}

/**
 * Decode one CIFAR binary file (raw, or gzipped by the bytes' magic). A size that is not a whole number
 * of records, or a label outside the variant's range, is a DataError naming `file`.
 */
export async function parseCifar(bytes: Uint8Array, file: string, variant: CifarVariant): Promise<CifarBatch> {
  if (isGzip(bytes)) bytes = await gunzip(bytes, file);
  const labelBytes = LABEL_BYTES[variant];
  const record = labelBytes + IMAGE;
  const damaged = `The file is damaged (often an interrupted download or unpacking) or is not ${NAME[variant]} binary data. ${GET_CIFAR_HINT}`;
  if (bytes.length === 0) throw new DataError(`${file} is empty`, damaged);
  if (bytes.length % record !== 0) {
    const other = variant === 'cifar-10' ? 'cifar-100' : 'cifar-10';
    const otherRecord = LABEL_BYTES[other] + IMAGE;
    const looksOther = bytes.length % otherRecord === 0 ? ` (it is a whole number of ${NAME[other]}'s ${otherRecord}-byte records: is it ${NAME[other]}?)` : '';
    throw new DataError(
      `${file}: ${bytes.length} bytes is not a whole number of ${record}-byte ${NAME[variant]} records ` +
        `(${labelBytes} label byte${labelBytes > 1 ? 's' : ''} + 32x32x3 pixels): ${Math.floor(bytes.length / record)} records and ${bytes.length % record} bytes over${looksOther}`,
      damaged,
    );
  }
  const count = bytes.length / record;
  const images = new Uint8Array(count * IMAGE);
  const labels = new Uint8Array(count);
  for (let n = 0; n < count; n++) {
    const at = n * record;
    if (variant === 'cifar-10') {
      labels[n] = bytes[at]!;
      if (labels[n]! >= 10) throw new DataError(`${file}: record ${n} has label ${labels[n]}, outside CIFAR-10's 0..9`, damaged);
    } else {
      const coarse = bytes[at]!;
      labels[n] = bytes[at + 1]!;
      if (coarse >= 20 || labels[n]! >= 100) {
        throw new DataError(`${file}: record ${n} has labels ${coarse} (coarse) and ${labels[n]} (fine), outside CIFAR-100's 0..19 and 0..99`, damaged);
      }
    }
    // CHW -> HWC: pixel p of channel c goes to (p * 3 + c).
    const src = at + labelBytes;
    const dst = n * IMAGE;
    for (let c = 0; c < 3; c++) {
      const plane = src + c * PIXELS;
      for (let p = 0; p < PIXELS; p++) images[dst + p * 3 + c] = bytes[plane + p]!;
    }
  }
  return { images, labels, count };
}

/**
 * Load CIFAR-10 (data_batch_1..5.bin + test_batch.bin) or CIFAR-100 (train.bin + test.bin) through
 * `readFile`. Shape [32, 32, 3], images HWC. Class names: classes.txt beside the files, else the
 * archive's batches.meta.txt (CIFAR-10) or fine_label_names.txt (CIFAR-100), else the dataset's
 * known names (CIFAR-10's, or CIFAR-100's fine labels). Every problem is a DataError naming the file.
 */
export async function loadCifar(readFile: ReadFile, source: string, variant: CifarVariant): Promise<LoadedDataset> {
  const trainNames: readonly string[] = variant === 'cifar-10' ? CIFAR10_FILES.train : [CIFAR100_FILES.train];
  const testName = variant === 'cifar-10' ? CIFAR10_FILES.test : CIFAR100_FILES.test;
  const names = [...trainNames, testName];
  const found = await Promise.all(names.map((n) => readOptional(readFile, n, source)));
  const missing = names.filter((_, i) => found[i] === undefined);
  if (missing.length > 0) throw new DataError(`${NAME[variant]} in ${source} is missing ${missing.join(', ')}`, GET_CIFAR_HINT);
  const batches = await Promise.all(found.map((b, i) => parseCifar(b!, inSource(names[i]!, source), variant)));
  const train = concat(batches.slice(0, -1));
  const test = batches[batches.length - 1]!;
  const shape: [number, number, number] = [SIDE, SIDE, 3];
  const { classes, classesFrom } = await resolveClasses({
    readFile,
    source,
    shape,
    train: { labels: train.labels, file: trainNames.join(', '), at: (i) => batchOf(batches, trainNames, i) },
    test: { labels: test.labels, file: testName },
    formatFile: variant === 'cifar-10' ? CIFAR10_FILES.classes : CIFAR100_FILES.classes,
    known:
      variant === 'cifar-10'
        ? { names: CIFAR10_CLASSES, from: 'CIFAR-10', fix: GET_CIFAR_HINT }
        : { names: CIFAR100_CLASSES, from: 'CIFAR-100', fix: GET_CIFAR_HINT },
  });
  return {
    train: { images: train.images, labels: train.labels },
    test: { images: test.images, labels: test.labels },
    shape,
    classes,
    source,
    format: variant,
    files: names,
    classesFrom,
  };
}

/** Which training file holds training example `i`, and its index there. */
function batchOf(batches: CifarBatch[], names: readonly string[], i: number): [string, number] {
  for (let b = 0; b < names.length; b++) {
    if (i < batches[b]!.count) return [names[b]!, i];
    i -= batches[b]!.count;
  }
  return [names.join(', '), i];
}

function concat(batches: CifarBatch[]): CifarBatch {
  if (batches.length === 1) return batches[0]!;
  const count = batches.reduce((n, b) => n + b.count, 0);
  const images = new Uint8Array(count * IMAGE);
  const labels = new Uint8Array(count);
  let at = 0;
  for (const b of batches) {
    images.set(b.images, at * IMAGE);
    labels.set(b.labels, at);
    at += b.count;
  }
  return { images, labels, count };
}
