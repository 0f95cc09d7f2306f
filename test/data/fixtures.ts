/** Synthetic IDX files for the data tests (Node-only helpers). */
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { FASHION_MNIST_FILES } from '../../src/data/fashion-mnist';

/** An IDX file: header 00 00 <type> <ndims>, big-endian u32 dims, then `payload`. */
export function idx(type: number, dims: number[], payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + payload.length);
  const v = new DataView(out.buffer);
  out[2] = type;
  out[3] = dims.length;
  dims.forEach((d, i) => v.setUint32(4 + 4 * i, d, false));
  out.set(payload, 4 + 4 * dims.length);
  return out;
}

/** `count` rows x cols uint8 images; pixel value = (image * 31 + pixel) mod 256. */
export function idxImages(count: number, rows = 28, cols = 28): Uint8Array {
  const px = new Uint8Array(count * rows * cols).map((_, i) => (Math.floor(i / (rows * cols)) * 31 + (i % (rows * cols))) & 0xff);
  return idx(0x08, [count, rows, cols], px);
}

export function idxLabels(labels: number[]): Uint8Array {
  return idx(0x08, [labels.length], Uint8Array.from(labels));
}

export function gz(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(gzipSync(bytes));
}

/** A complete tiny dataset: 3 train and 2 test images, by file name (gzipped unless `raw`). */
export function tinyDataset(raw = false): Map<string, Uint8Array> {
  const f = FASHION_MNIST_FILES;
  const files: [string, Uint8Array][] = [
    [f.trainImages, idxImages(3)],
    [f.trainLabels, idxLabels([9, 0, 3])],
    [f.testImages, idxImages(2)],
    [f.testLabels, idxLabels([1, 9])],
  ];
  return new Map(files.map(([n, b]) => (raw ? [n, b] : [`${n}.gz`, gz(b)])));
}

export async function tempDir(prefix = 'wgml-data-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** Write `files` into `dir` (created). */
export async function writeDataset(dir: string, files: Map<string, Uint8Array>): Promise<string> {
  await mkdir(dir, { recursive: true });
  for (const [name, bytes] of files) await writeFile(join(dir, name), bytes);
  return dir;
}
