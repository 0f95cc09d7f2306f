/**
 * Fashion-MNIST from its four official IDX files, read through an injected `readFile` so the same
 * loader serves Node (fs), the browser (fetch, or File objects a person dropped) and tests (memory).
 */
import { DataError } from '../errors';
import type { DatasetArrays, ImagesAndLabels } from './dataset';
import { parseIdxImages, parseIdxLabels } from './idx';

/** Class names by label, from the dataset's README. */
export const FASHION_MNIST_CLASSES: readonly string[] = [
  'T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot',
];

/** The four official file names, without `.gz` (the loader accepts both forms). */
export const FASHION_MNIST_FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

/** Where the official gzipped files are served (the S3 site is http only). */
export const FASHION_MNIST_URL = 'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/';

export const GET_FASHION_MNIST_HINT =
  `Get the four files (${Object.values(FASHION_MNIST_FILES).map((f) => `${f}.gz`).join(', ')}) from ` +
  `${FASHION_MNIST_URL} or https://github.com/zalandoresearch/fashion-mnist.`;

/**
 * Reads one file by name. Resolve `undefined` when it does not exist (so the loader can try the other
 * name and list everything missing at once); reject for any other failure.
 */
export type ReadFile = (name: string) => Promise<Uint8Array | undefined>;

/** Fashion-MNIST as arrays: 28x28x1 uint8 images, labels 0-9, and the class names; pass it to createDataset. */
export interface FashionMnist extends DatasetArrays {
  train: ImagesAndLabels & { images: Uint8Array<ArrayBuffer>; labels: Uint8Array<ArrayBuffer> };
  test: ImagesAndLabels & { images: Uint8Array<ArrayBuffer>; labels: Uint8Array<ArrayBuffer> };
  shape: [28, 28, 1];
  classes: readonly string[];
  source: string;
}

/** The models are built for 28x28 inputs (784 features), so anything else is the wrong dataset. */
const ROWS = 28;
const COLS = 28;

/**
 * Load and validate the dataset. `source` (a directory, URL or "dropped files") only words messages.
 * Each file is tried as `<name>.gz`, then `<name>`.
 */
export async function loadFashionMnist(readFile: ReadFile, source: string): Promise<FashionMnist> {
  const names = Object.values(FASHION_MNIST_FILES);
  const found = await Promise.all(names.map((name) => readEither(readFile, name, source)));
  const missing = names.filter((_, i) => found[i] === undefined);
  if (missing.length > 0) {
    throw new DataError(
      `Fashion-MNIST in ${source} is missing ${missing.map((m) => `${m}(.gz)`).join(', ')}`,
      GET_FASHION_MNIST_HINT,
    );
  }
  const [trIm, trLb, teIm, teLb] = found as [Found, Found, Found, Found];
  const [trainImages, trainLabels, testImages, testLabels] = await Promise.all([
    parseIdxImages(trIm.bytes, label(trIm.name, source)),
    parseIdxLabels(trLb.bytes, label(trLb.name, source)),
    parseIdxImages(teIm.bytes, label(teIm.name, source)),
    parseIdxLabels(teLb.bytes, label(teLb.name, source)),
  ]);
  for (const [im, imName] of [[trainImages, trIm.name], [testImages, teIm.name]] as const) {
    if (im.rows !== ROWS || im.cols !== COLS) {
      throw new DataError(
        `${label(imName, source)}: images are ${im.rows}x${im.cols}; Fashion-MNIST's are ${ROWS}x${COLS}`,
        `Is this a different dataset? ${GET_FASHION_MNIST_HINT}`,
      );
    }
  }
  return {
    train: split(trainImages, trainLabels, trIm.name, trLb.name, source),
    test: split(testImages, testLabels, teIm.name, teLb.name, source),
    shape: [ROWS, COLS, 1],
    classes: FASHION_MNIST_CLASSES,
    source,
  };
}

interface Found {
  name: string;
  bytes: Uint8Array;
}

async function readEither(readFile: ReadFile, base: string, source: string): Promise<Found | undefined> {
  for (const name of [`${base}.gz`, base]) {
    let bytes: Uint8Array | undefined;
    try {
      bytes = await readFile(name);
    } catch (e) {
      if (e instanceof DataError) throw e;
      throw new DataError(
        `Cannot read ${label(name, source)}: ${e instanceof Error ? e.message : String(e)}`,
        'Check that the file is readable (permissions, network).',
      );
    }
    if (bytes !== undefined) return { name, bytes };
  }
  return undefined;
}

function split(
  im: { images: Uint8Array<ArrayBuffer>; count: number },
  lb: { labels: Uint8Array<ArrayBuffer>; count: number },
  imName: string,
  lbName: string,
  source: string,
): FashionMnist['train'] {
  if (im.count !== lb.count) {
    throw new DataError(
      `${imName} has ${im.count} images but ${lbName} has ${lb.count} labels (in ${source})`,
      `The files do not belong together; replace them with a matching official set. ${GET_FASHION_MNIST_HINT}`,
    );
  }
  const bad = lb.labels.findIndex((l) => l >= FASHION_MNIST_CLASSES.length);
  if (bad >= 0) {
    throw new DataError(
      `${label(lbName, source)}: label ${lb.labels[bad]} at index ${bad} is outside 0..${FASHION_MNIST_CLASSES.length - 1}`,
      `The file is damaged or not Fashion-MNIST. ${GET_FASHION_MNIST_HINT}`,
    );
  }
  return { images: im.images, labels: lb.labels };
}

function label(name: string, source: string): string {
  return `${name} (in ${source})`;
}
