import { beforeAll, describe, expect, it } from 'vitest';
import { DataError } from '../../src/errors';
import { FASHION_MNIST_CLASSES, FASHION_MNIST_FILES, loadFashionMnist, type FashionMnist } from '../../src/data/fashion-mnist';
import { fileListReader, urlReader } from '../../src/data/readers';
import { fitStandardScaler, standardScalerAffine } from '../../src/data/preprocess';
import { dirReader } from '../../src/data/locate-node';
import { gz, idxImages, idxLabels, tinyDataset } from './fixtures';

/** The message without the hint WgmlError appends. */
const firstLine = (e: Error) => e.message.split('\n')[0];
const memory = (files: Map<string, Uint8Array>) => async (name: string) => files.get(name);

async function loadError(files: Map<string, Uint8Array>): Promise<DataError> {
  const e = await loadFashionMnist(memory(files), 'mem').then(() => undefined, (err: unknown) => err);
  expect(e).toBeInstanceOf(DataError);
  return e as DataError;
}

describe('loadFashionMnist on synthetic files', () => {
  it('loads gzipped and raw names alike', async () => {
    for (const raw of [false, true]) {
      const d = await loadFashionMnist(memory(tinyDataset(raw)), 'mem');
      expect([d.train.labels.length, d.test.labels.length, ...d.shape]).toEqual([3, 2, 28, 28, 1]);
      expect(Array.from(d.train.labels)).toEqual([9, 0, 3]);
      expect(d.train.images.length).toBe(3 * 784);
      expect(d.classes).toEqual(FASHION_MNIST_CLASSES);
    }
  });

  it('works through the browser-style File reader', async () => {
    const files = [...tinyDataset()].map(([name, b]) => new File([Uint8Array.from(b)], name));
    expect((await loadFashionMnist(fileListReader(files), 'dropped files')).test.labels.length).toBe(2);
  });

  it('works through the URL reader, where a 404 means missing', async () => {
    const files = tinyDataset(true); // only the uncompressed names exist, so each .gz request 404s
    const requested: string[] = [];
    const fakeFetch: typeof fetch = async (input) => {
      const url = String(input);
      requested.push(url);
      const b = files.get(url.split('/').pop()!);
      return b ? new Response(Uint8Array.from(b)) : new Response(null, { status: 404 });
    };
    const d = await loadFashionMnist(urlReader('https://example.test/data', fakeFetch), 'https://example.test/data/');
    expect(d.train.labels.length).toBe(3);
    expect(requested).toContain('https://example.test/data/train-images-idx3-ubyte.gz');
    expect(requested).toContain('https://example.test/data/train-images-idx3-ubyte');
    const failing: typeof fetch = async () => new Response(null, { status: 500, statusText: 'Server Error' });
    await expect(loadFashionMnist(urlReader('https://example.test/', failing), 'x')).rejects.toThrow(/HTTP 500 Server Error/);
  });

  it('lists every missing file', async () => {
    const files = tinyDataset();
    files.delete(`${FASHION_MNIST_FILES.trainLabels}.gz`);
    files.delete(`${FASHION_MNIST_FILES.testImages}.gz`);
    const e = await loadError(files);
    expect(firstLine(e)).toBe('Fashion-MNIST in mem is missing train-labels-idx1-ubyte(.gz), t10k-images-idx3-ubyte(.gz)');
    expect(e.hint).toMatch(/fashion-mnist\.s3-website/);
  });

  it('rejects images and labels whose counts differ', async () => {
    const files = tinyDataset();
    files.set(`${FASHION_MNIST_FILES.testLabels}.gz`, gz(idxLabels([1, 2, 3])));
    expect(firstLine(await loadError(files))).toBe(
      't10k-images-idx3-ubyte.gz has 2 images but t10k-labels-idx1-ubyte.gz has 3 labels (in mem)',
    );
  });

  it('rejects a label outside 0..9', async () => {
    const files = tinyDataset();
    files.set(`${FASHION_MNIST_FILES.trainLabels}.gz`, gz(idxLabels([9, 10, 3])));
    expect(firstLine(await loadError(files))).toBe(
      'train-labels-idx1-ubyte.gz (in mem): label 10 at index 1 is outside 0..9',
    );
  });

  it('rejects images that are not 28x28', async () => {
    const files = tinyDataset();
    files.set(`${FASHION_MNIST_FILES.testImages}.gz`, gz(idxImages(2, 32, 32)));
    expect((await loadError(files)).message).toMatch(/t10k-images-idx3-ubyte\.gz \(in mem\): images are 32x32; Fashion-MNIST's are 28x28/);
  });

  it('names the file when one is corrupt', async () => {
    const files = tinyDataset();
    const b = Uint8Array.from(files.get(`${FASHION_MNIST_FILES.trainImages}.gz`)!);
    b[b.length - 5]! ^= 0xff; // the CRC/size trailer
    files.set(`${FASHION_MNIST_FILES.trainImages}.gz`, b);
    expect((await loadError(files)).message).toMatch(/^train-images-idx3-ubyte\.gz \(in mem\): corrupt or truncated gzip/);
  });

  it('wraps a failing reader in a DataError', async () => {
    const e = await loadFashionMnist(async () => { throw new Error('EACCES: permission denied'); }, 'dir')
      .then(() => undefined, (err: unknown) => err);
    expect(e).toBeInstanceOf(DataError);
    expect((e as DataError).message).toMatch(/Cannot read train-images-idx3-ubyte\.gz \(in dir\): EACCES/);
  });
});

const REAL = '/usr/share/datasets/fashion-mnist';

// No skip when the data is missing: `npm test` runs scripts/setup.sh first, which installs it.
describe('the real Fashion-MNIST (Debian dataset-fashion-mnist)', () => {
  let d: FashionMnist;
  beforeAll(async () => {
    d = await loadFashionMnist(dirReader(REAL), REAL);
  }, 30_000);

  it('has the official split and shape', () => {
    expect([d.train.labels.length, d.test.labels.length, ...d.shape]).toEqual([60_000, 10_000, 28, 28, 1]);
    expect(d.train.images.length).toBe(60_000 * 784);
    expect(d.test.images.length).toBe(10_000 * 784);
  });

  it('has 1,000 test and 6,000 training images per class', () => {
    const count = (labels: Uint8Array) => labels.reduce((c, l) => (c[l]!++, c), new Array<number>(10).fill(0));
    expect(count(d.test.labels)).toEqual(new Array(10).fill(1000));
    expect(count(d.train.labels)).toEqual(new Array(10).fill(6000));
  });

  it('starts with an ankle boot, and has the well-known pixel statistics', () => {
    expect(d.classes[d.train.labels[0]!]).toBe('Ankle boot');
    expect([d.train.labels[0], d.train.labels[1], d.test.labels[0], d.test.labels[1]]).toEqual([9, 0, 9, 2]);
    // Mean 0.2860 and std 0.3530 of x/255 over the training set, as commonly quoted.
    let s = 0, s2 = 0;
    for (const x of d.train.images as Uint8Array) { s += x; s2 += x * x; }
    const n = d.train.images.length;
    const mean = s / n / 255;
    expect(mean).toBeCloseTo(0.286, 3);
    expect(Math.sqrt(s2 / n / 65025 - mean * mean)).toBeCloseTo(0.353, 3);
    // Fitting the one-hidden model's scaler over all 47M bytes is quick and gives finite maps.
    const scaler = fitStandardScaler(d.train.images, 784);
    expect(scaler.mean[0]).toBeLessThan(1);
    const a = standardScalerAffine(scaler);
    expect(a.scale.every(Number.isFinite) && a.shift.every(Number.isFinite)).toBe(true);
    // The first image's border is background; its centre is not.
    expect(d.train.images[0]).toBe(0);
    expect(d.train.images.subarray(0, 784).some((x) => x > 200)).toBe(true);
  });
});
