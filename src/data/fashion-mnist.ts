/**
 * Fashion-MNIST from its four official IDX files, read through an injected `readFile` so the same
 * loader serves Node (fs), the browser (fetch, or File objects a person dropped) and tests (memory).
 * A thin wrapper over loadIdxDataset (any MNIST-layout dataset) that requires Fashion-MNIST's
 * 28x28 images and 10 classes.
 */
import type { DatasetArrays, ImagesAndLabels } from './dataset';
import { loadIdxDataset } from './idx-dataset';
import { FASHION_MNIST_CLASSES, IDX_FILES } from './known-datasets';

export { FASHION_MNIST_CLASSES } from './known-datasets';
export type { ReadFile } from './files';
import type { ReadFile } from './files';

/** The four official file names, without `.gz` (the loader accepts both forms). */
export const FASHION_MNIST_FILES = IDX_FILES;

/** Where the official gzipped files are served (the S3 site is http only). */
export const FASHION_MNIST_URL = 'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/';

export const GET_FASHION_MNIST_HINT =
  `Get the four files (${Object.values(FASHION_MNIST_FILES).map((f) => `${f}.gz`).join(', ')}) from ` +
  `${FASHION_MNIST_URL} or https://github.com/zalandoresearch/fashion-mnist.`;

/** Fashion-MNIST as arrays: 28x28x1 uint8 images, labels 0-9, and the class names; pass it to createDataset. */
export interface FashionMnist extends DatasetArrays {
  train: ImagesAndLabels & { images: Uint8Array<ArrayBuffer>; labels: Uint8Array<ArrayBuffer> };
  test: ImagesAndLabels & { images: Uint8Array<ArrayBuffer>; labels: Uint8Array<ArrayBuffer> };
  shape: [28, 28, 1];
  classes: readonly string[];
  source: string;
}

/**
 * Load and validate the dataset. `source` (a directory, URL or "dropped files") only words messages.
 * Each file is tried as `<name>.gz`, then `<name>`. For other MNIST-layout datasets (MNIST, KMNIST,
 * EMNIST, any image size or class count) use loadIdxDataset, or loadDataset for any known layout.
 */
export async function loadFashionMnist(readFile: ReadFile, source: string): Promise<FashionMnist> {
  const d = await loadIdxDataset(readFile, source, {
    name: 'Fashion-MNIST',
    hint: GET_FASHION_MNIST_HINT,
    size: [28, 28],
    classes: FASHION_MNIST_CLASSES,
  });
  return { train: d.train, test: d.test, shape: [28, 28, 1], classes: d.classes, source };
}
