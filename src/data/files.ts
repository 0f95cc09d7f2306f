/**
 * What the dataset readers (IDX, CIFAR, .npz) share: the injected `ReadFile`, reading files with
 * messages that name them, class names from a text file beside the data, and the result type.
 * Browser-safe: no Node modules.
 */
import { DataError } from '../errors';
import { classCount, type DatasetArrays } from './dataset';
import { CLASSES_FILE, FASHION_MNIST_CLASSES, looksLikeFashionMnist } from './known-datasets';

/**
 * Reads one file by name. Resolve `undefined` when it does not exist (so a loader can try another
 * name and list everything missing at once); reject for any other failure.
 */
export type ReadFile = (name: string) => Promise<Uint8Array | undefined>;

/** The file layouts the readers know. */
export type DatasetFormat = 'idx' | 'cifar-10' | 'cifar-100' | 'npz';

/** One split as a reader returns it: uint8 or float32 pixels, example-major HWC, one label each. */
export interface LoadedSplit {
  images: Uint8Array<ArrayBuffer> | Float32Array<ArrayBuffer>;
  labels: Uint8Array<ArrayBuffer> | Uint32Array<ArrayBuffer>;
}

/** What loadDataset and the format readers return: DatasetArrays (pass it to createDataset) and where it came from. */
export interface LoadedDataset extends DatasetArrays {
  train: LoadedSplit;
  test: LoadedSplit;
  /** [height, width, channels], the models' layout. */
  shape: [number, number, number];
  classes: readonly string[];
  source: string;
  format: DatasetFormat;
  /** The data files read, in order (training, then test). */
  files: string[];
  /**
   * Where the class names came from: a file beside the data (`classes.txt`, `batches.meta.txt`,
   * `fine_label_names.txt`), a known dataset ('Fashion-MNIST', 'CIFAR-10'), or 'labels' (numbered
   * '0'..'K-1', K the largest label + 1).
   */
  classesFrom: string;
}

/** A file that was found, by the name it was found under. */
export interface Found {
  name: string;
  bytes: Uint8Array;
}

/** `name (in source)`, how the readers name a file in messages. */
export function inSource(name: string, source: string): string {
  return `${name} (in ${source})`;
}

/** Read `name`, or undefined when it does not exist; other failures become DataErrors naming it. */
export async function readOptional(readFile: ReadFile, name: string, source: string): Promise<Uint8Array | undefined> {
  let bytes: Uint8Array | undefined;
  try {
    bytes = await readFile(name);
  } catch (e) {
    if (e instanceof DataError) throw e;
    throw new DataError(
      `Cannot read ${inSource(name, source)}: ${e instanceof Error ? e.message : String(e)}`,
      'Check that the file is readable (permissions, network).',
    );
  }
  if (bytes !== undefined && !(bytes instanceof Uint8Array)) {
    throw new DataError(`Cannot read ${inSource(name, source)}: the reader returned ${typeof bytes}, not bytes.`, 'A ReadFile must resolve to a Uint8Array or undefined.');
  }
  return bytes;
}

/** The first of `names` that exists. */
export async function readFirst(readFile: ReadFile, names: readonly string[], source: string): Promise<Found | undefined> {
  for (const name of names) {
    const bytes = await readOptional(readFile, name, source);
    if (bytes !== undefined) return { name, bytes };
  }
  return undefined;
}

/** A ReadFile that reads each name at most once (a format probe, then the loader, read the same files). */
export function memoReader(readFile: ReadFile): ReadFile {
  const cache = new Map<string, Promise<Uint8Array | undefined>>();
  return (name) => {
    let p = cache.get(name);
    if (p === undefined) {
      p = readFile(name);
      cache.set(name, p);
    }
    return p;
  };
}

/**
 * Class names from a text file: one per line (UTF-8, `\n` or `\r\n`), ends trimmed, trailing blank
 * lines ignored. An empty file or a blank line among the names is a DataError naming the file.
 */
export function parseClassNames(bytes: Uint8Array, file: string): string[] {
  const text = new TextDecoder().decode(bytes).replace(/^\uFEFF/, '');
  const lines = text.split(/\r?\n/).map((l) => l.trim());
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const fix = 'Write one class name per line, the name of label 0 first.';
  if (lines.length === 0) throw new DataError(`${file} names no classes (it is empty).`, fix);
  const blank = lines.indexOf('');
  if (blank >= 0) throw new DataError(`${file}: line ${blank + 1} is blank; every label needs a name.`, fix);
  return lines;
}

/** A split's labels and the file they came from, for label checks. */
export interface LabelSource {
  labels: ArrayLike<number>;
  file: string;
  /** The file holding label `i` and its index there, when the split comes from several files. */
  at?: (i: number) => [file: string, index: number];
}

export interface ClassOptions {
  readFile: ReadFile;
  source: string;
  shape: readonly number[];
  train: LabelSource;
  test: LabelSource;
  /** Read classes.txt beside the data first (default true). */
  classesFile?: boolean;
  /** A names file the format ships with (e.g. CIFAR-10's batches.meta.txt), tried after classes.txt. */
  formatFile?: string;
  /** The format's own names, used when no file gives them; labels must then be below their count. */
  known?: { names: readonly string[]; from: string; fix: string };
}

/**
 * Class names, in order of preference: classes.txt beside the data, the format's own names file, the
 * known dataset's names (Fashion-MNIST recognised by content), else '0'..'K-1'. Labels must be below
 * the count whenever names are given: a DataError names the label file, the label and the fix.
 */
export async function resolveClasses(o: ClassOptions): Promise<{ classes: readonly string[]; classesFrom: string }> {
  const files = [...(o.classesFile === false ? [] : [CLASSES_FILE]), ...(o.formatFile ? [o.formatFile] : [])];
  for (const file of files) {
    const bytes = await readOptional(o.readFile, file, o.source);
    if (bytes === undefined) continue;
    const names = parseClassNames(bytes, inSource(file, o.source));
    checkLabels(o, names.length, `${inSource(file, o.source)} names ${classCount(names.length)}; add the missing names there, or fix the labels.`);
    return { classes: names, classesFrom: file };
  }
  if (o.known) {
    checkLabels(o, o.known.names.length, o.known.fix);
    return { classes: o.known.names, classesFrom: o.known.from };
  }
  if (looksLikeFashionMnist(o.shape, o.train.labels, o.test.labels) && maxLabel([o.train, o.test]) < 10) {
    return { classes: FASHION_MNIST_CLASSES, classesFrom: 'Fashion-MNIST' };
  }
  checkLabels(o, MAX_CLASSES, `Class numbers are 0 .. classes - 1, and a dataset has at most ${MAX_CLASSES} classes: the labels are damaged or not class numbers.`);
  const count = maxLabel([o.train, o.test]) + 1;
  return { classes: Array.from({ length: count }, (_, i) => String(i)), classesFrom: 'labels' };
}

/** The most classes numbered from the labels alone (a corrupt label of 4e9 must not make 4e9 names). */
export const MAX_CLASSES = 65_536;

function maxLabel(splits: LabelSource[]): number {
  let max = 0;
  for (const { labels } of splits) for (let i = 0; i < labels.length; i++) max = Math.max(max, labels[i]!);
  return max;
}

/** Every label below `count`, else a DataError naming the label file. */
export function checkLabels(o: { source: string; train: LabelSource; test: LabelSource }, count: number, fix: string): void {
  for (const { labels, file, at } of [o.train, o.test]) {
    for (let i = 0; i < labels.length; i++) {
      const l = labels[i]!;
      if (l >= count) {
        const [f, index] = at ? at(i) : [file, i];
        throw new DataError(`${inSource(f, o.source)}: label ${l} at index ${index} is outside 0..${count - 1}`, fix);
      }
    }
  }
}

/** Copy bytes into a fresh ArrayBuffer (so a result never aliases a caller's or a pooled buffer). */
export function own(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return new Uint8Array(bytes);
}
