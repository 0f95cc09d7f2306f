/**
 * One entry for the datasets people bring: decide the layout from the file names present and load it
 * with the matching reader (IDX, CIFAR-10/100 binary, NumPy .npz). Browser-safe: files come through a
 * ReadFile (a directory in Node, a URL prefix, File objects a person dropped, memory in tests).
 */
import { DataError } from '../errors';
import { loadCifar } from './cifar';
import { memoReader, readFirst, type DatasetFormat, type LoadedDataset, type ReadFile } from './files';
import { idxFilesIn, idxRole, loadIdxDataset } from './idx-dataset';
import { CIFAR10_FILES, CIFAR100_FILES, IDX_FILES } from './known-datasets';
import { loadNpz } from './npz';

export type { DatasetFormat, LoadedDataset, LoadedSplit } from './files';

/** What each layout looks like, for messages. */
export const DATASET_LAYOUTS =
  'Expected one of: an IDX dataset (MNIST layout: train-images-idx3-ubyte, train-labels-idx1-ubyte, ' +
  't10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, each raw or .gz, or the variants EMNIST and Kaggle ship); CIFAR-10 binary (data_batch_1.bin .. ' +
  'data_batch_5.bin, test_batch.bin); CIFAR-100 binary (train.bin, test.bin); or a NumPy .npz holding ' +
  'x_train, y_train, x_test, y_test. A classes.txt (one name per line) beside the data names the classes.';

/** A layout found among file names; `file` is the archive for 'npz'. */
export interface DetectedLayout {
  format: DatasetFormat;
  /** The names that made the decision. */
  files: string[];
}

const CIFAR10_NAMES = new Set<string>([...CIFAR10_FILES.train, CIFAR10_FILES.test]);
const CIFAR100_NAMES = new Set<string>([CIFAR100_FILES.train, CIFAR100_FILES.test]);

/** The layouts whose files appear in `listing` (one entry per .npz file). */
export function detectLayouts(listing: readonly string[]): DetectedLayout[] {
  const found: DetectedLayout[] = [];
  const add = (format: DatasetFormat, names: Set<string>) => {
    const files = listing.filter((n) => names.has(n));
    if (files.length > 0) found.push({ format, files });
  };
  // MNIST's names, or the variants others ship (EMNIST's prefixed ones, Kaggle's): by role.
  const idx = listing.filter((n) => idxRole(n) !== null);
  if (idx.length > 0) found.push({ format: 'idx', files: idx });
  add('cifar-10', CIFAR10_NAMES);
  add('cifar-100', CIFAR100_NAMES);
  for (const n of listing) if (/\.npz$/i.test(n)) found.push({ format: 'npz', files: [n] });
  return found;
}

/**
 * Load a dataset through `readFile`, choosing the reader by the file names present: `listing` (every
 * name in the folder, when the caller can list it), else by probing for each layout's first file
 * (an .npz is then found only when `source` itself ends in `.npz`: its last path segment is read).
 * `source` (a folder, URL or "dropped files") words messages. Returns images in HWC order with
 * shape [height, width, channels] and the class names (see LoadedDataset.classesFrom); pass it to
 * createDataset. An unknown, ambiguous, incomplete or damaged dataset is a DataError naming the file
 * and the fix.
 */
export async function loadDataset(readFile: ReadFile, source: string, listing?: readonly string[]): Promise<LoadedDataset> {
  const read = memoReader(readFile);
  const layout = listing === undefined ? await probe(read, source) : choose(detectLayouts(listing), listing, source);
  switch (layout.format) {
    case 'idx': {
      // With a listing, the four files may carry other names than MNIST's (idxFilesIn says which).
      const files = listing && idxFilesIn(layout.files, source);
      return loadIdxDataset(read, source, files ? { files } : {});
    }
    case 'cifar-10':
    case 'cifar-100':
      return loadCifar(read, source, layout.format);
    case 'npz':
      return loadNpz(read, source, layout.files[0]!);
  }
}

function choose(layouts: DetectedLayout[], listing: readonly string[], source: string): DetectedLayout {
  if (layouts.length === 1) return layouts[0]!;
  if (layouts.length === 0) throw new DataError(`No dataset found in ${source}: it holds ${summary(listing)}.`, DATASET_LAYOUTS);
  throw new DataError(
    `${source} holds more than one dataset: ${layouts.map((l) => `${l.format} (${summary(l.files)})`).join('; ')}.`,
    'Keep one dataset per folder: move the others away, or pass the .npz file itself.',
  );
}

/** Without a listing: try each layout's first file, in turn. */
async function probe(read: ReadFile, source: string): Promise<DetectedLayout> {
  const probes: [DatasetFormat, string[]][] = [
    ['idx', [`${IDX_FILES.trainImages}.gz`, IDX_FILES.trainImages, `${IDX_FILES.testImages}.gz`, IDX_FILES.testImages]],
    ['cifar-10', [CIFAR10_FILES.train[0], CIFAR10_FILES.test]],
    ['cifar-100', [CIFAR100_FILES.train, CIFAR100_FILES.test]],
  ];
  const npz = /([^/\\]+\.npz)$/i.exec(source.replace(/[?#].*$/, ''))?.[1];
  if (npz !== undefined) probes.unshift(['npz', [npz]]);
  for (const [format, names] of probes) {
    const found = await readFirst(read, names, source);
    if (found) return { format, files: [found.name] };
  }
  throw new DataError(
    `No dataset found in ${source}: none of ${probes.flatMap(([, n]) => n).join(', ')} is there.`,
    DATASET_LAYOUTS,
  );
}

function summary(names: readonly string[]): string {
  if (names.length === 0) return 'no files';
  const shown = names.slice(0, 12).join(', ');
  return names.length > 12 ? `${shown} and ${names.length - 12} more` : shown;
}
