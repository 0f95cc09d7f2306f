/**
 * A dataset in the MNIST layout: the four IDX files train-images-idx3-ubyte, train-labels-idx1-ubyte,
 * t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte, each raw or `.gz`. MNIST, Fashion-MNIST, KMNIST
 * and EMNIST all ship this way; images of any size (one channel) and any class count are read.
 * (EMNIST's images are stored transposed; they are read as stored.)
 */
import { DataError } from '../errors';
import { inSource, readFirst, resolveClasses, type Found, type LoadedDataset, type ReadFile } from './files';
import { parseIdxImages, parseIdxLabels } from './idx';
import { IDX_FILES } from './known-datasets';

const IDX_HINT =
  `An IDX dataset is four files: ${Object.values(IDX_FILES).map((f) => `${f}(.gz)`).join(', ')}, ` +
  'as MNIST, Fashion-MNIST and KMNIST are distributed; in a folder (or dropped files) the variants others ' +
  'ship are read too: EMNIST\'s emnist-letters-train-images-idx3-ubyte.gz, Kaggle\'s train-images.idx3-ubyte.';

/** What a known IDX dataset requires; loadFashionMnist passes Fashion-MNIST's. */
export interface IdxDatasetOptions {
  /** The dataset's name, for messages (default 'IDX dataset'). */
  name?: string;
  /** How to get the files, appended to messages about missing or mismatched files. */
  hint?: string;
  /** Require images of this [rows, cols]. */
  size?: readonly [number, number];
  /** Use these names (labels must be below their count) instead of classes.txt or numbered classes. */
  classes?: readonly string[];
  /**
   * The four files' names when they are not MNIST's own (EMNIST's `emnist-letters-train-images-idx3-ubyte.gz`,
   * Kaggle's `train-images.idx3-ubyte`): see idxFilesIn.
   */
  files?: Readonly<Record<keyof typeof IDX_FILES, string>>;
}

/**
 * The IDX file `name` stands for: MNIST's own names and the variants others ship (a prefix such as
 * EMNIST's `emnist-letters-`, `test` for `t10k`, `.` or `_` for `-`, any case, `.gz` or not), or null.
 */
export function idxRole(name: string): keyof typeof IDX_FILES | null {
  const m = /(?:^|[-_.])(train|t10k|test)[-_.](images[-_.]idx3|labels[-_.]idx1)[-_.]ubyte$/.exec(name.toLowerCase().replace(/\.gz$/, ''));
  if (!m) return null;
  const train = m[1] === 'train';
  return m[2]!.startsWith('images') ? (train ? 'trainImages' : 'testImages') : train ? 'trainLabels' : 'testLabels';
}

/**
 * The four IDX files among `listing`, by role; null when some role has none. Two candidates for a
 * role (e.g. EMNIST's letters and digits side by side) are a DataError naming them.
 */
export function idxFilesIn(listing: readonly string[], source: string): Record<keyof typeof IDX_FILES, string> | null {
  const found: Partial<Record<keyof typeof IDX_FILES, string[]>> = {};
  for (const name of listing) {
    const role = idxRole(name);
    if (role) (found[role] ??= []).push(name);
  }
  const roles = Object.keys(IDX_FILES) as (keyof typeof IDX_FILES)[];
  if (!roles.every((r) => found[r]?.length)) return null;
  for (const r of roles) {
    // The same file twice, raw and gzipped, is one file: the .gz is read.
    const names = found[r]!;
    const distinct = new Set(names.map((n) => n.toLowerCase().replace(/\.gz$/, '')));
    if (distinct.size > 1) throw new DataError(`${source} holds more than one ${IDX_FILES[r]}: ${names.join(', ')}.`, 'Keep one IDX dataset per folder (or drop one dataset\'s four files at a time).');
  }
  return Object.fromEntries(roles.map((r) => [r, found[r]!.find((n) => /\.gz$/i.test(n)) ?? found[r]![0]!])) as Record<keyof typeof IDX_FILES, string>;
}

/** The MNIST-layout dataset, with uint8 images and labels. */
export interface IdxDataset extends LoadedDataset {
  train: { images: Uint8Array<ArrayBuffer>; labels: Uint8Array<ArrayBuffer> };
  test: { images: Uint8Array<ArrayBuffer>; labels: Uint8Array<ArrayBuffer> };
  format: 'idx';
}

/**
 * Load the four IDX files through `readFile` (each tried as `<name>.gz`, then `<name>`); `source` (a
 * directory, URL or "dropped files") only words messages. Shape [rows, cols, 1]. Class names: as
 * options.classes, else classes.txt beside the files, else Fashion-MNIST's when the content is the
 * official Fashion-MNIST, else '0'..'K-1' (MNIST's digits). Every problem is a DataError naming the file.
 */
export async function loadIdxDataset(readFile: ReadFile, source: string, options: IdxDatasetOptions = {}): Promise<IdxDataset> {
  const name = options.name ?? 'IDX dataset';
  const hint = options.hint ?? IDX_HINT;
  const roles = Object.keys(IDX_FILES) as (keyof typeof IDX_FILES)[];
  const bases = roles.map((r) => options.files?.[r] ?? IDX_FILES[r]);
  const found = await Promise.all(bases.map((base) => readFirst(readFile, options.files ? [base] : [`${base}.gz`, base], source)));
  const missing = bases.filter((_, i) => found[i] === undefined);
  if (missing.length > 0) {
    throw new DataError(`${name} in ${source} is missing ${missing.map((m) => (options.files ? m : `${m}(.gz)`)).join(', ')}`, hint);
  }
  const [trIm, trLb, teIm, teLb] = found as [Found, Found, Found, Found];
  const [trainImages, trainLabels, testImages, testLabels] = await Promise.all([
    parseIdxImages(trIm.bytes, inSource(trIm.name, source)),
    parseIdxLabels(trLb.bytes, inSource(trLb.name, source)),
    parseIdxImages(teIm.bytes, inSource(teIm.name, source)),
    parseIdxLabels(teLb.bytes, inSource(teLb.name, source)),
  ]);
  if (options.size) {
    const [rows, cols] = options.size;
    for (const [im, file] of [[trainImages, trIm.name], [testImages, teIm.name]] as const) {
      if (im.rows !== rows || im.cols !== cols) {
        throw new DataError(`${inSource(file, source)}: images are ${im.rows}x${im.cols}; ${name}'s are ${rows}x${cols}`, `Is this a different dataset? ${hint}`);
      }
    }
  } else if (trainImages.rows !== testImages.rows || trainImages.cols !== testImages.cols) {
    throw new DataError(
      `${inSource(teIm.name, source)}: test images are ${testImages.rows}x${testImages.cols}, but the training images (${trIm.name}) are ${trainImages.rows}x${trainImages.cols}`,
      `The files come from different datasets; put the four files of one dataset together. ${hint}`,
    );
  }
  for (const [im, lb, imName, lbName] of [
    [trainImages, trainLabels, trIm.name, trLb.name],
    [testImages, testLabels, teIm.name, teLb.name],
  ] as const) {
    if (im.count !== lb.count) {
      throw new DataError(
        `${imName} has ${im.count} images but ${lbName} has ${lb.count} labels (in ${source})`,
        `The files do not belong together; replace them with a matching set. ${hint}`,
      );
    }
  }
  const shape: [number, number, number] = [trainImages.rows, trainImages.cols, 1];
  const labelSources = { train: { labels: trainLabels.labels, file: trLb.name }, test: { labels: testLabels.labels, file: teLb.name } };
  const { classes, classesFrom } = await resolveClasses({
    readFile,
    source,
    shape,
    ...labelSources,
    classesFile: options.classes === undefined,
    known: options.classes && { names: options.classes, from: name, fix: `The file is damaged or not ${name}. ${hint}` },
  });
  return {
    train: { images: trainImages.images, labels: trainLabels.labels },
    test: { images: testImages.images, labels: testLabels.labels },
    shape,
    classes,
    source,
    format: 'idx',
    files: [trIm.name, trLb.name, teIm.name, teLb.name],
    classesFrom,
  };
}
