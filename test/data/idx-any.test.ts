/** loadIdxDataset: the MNIST layout at any image size and class count (MNIST, KMNIST, EMNIST, Fashion-MNIST). */
import { describe, expect, it } from 'vitest';
import { createDataset } from '../../src/data/dataset';
import { FASHION_MNIST_CLASSES, loadFashionMnist } from '../../src/data/fashion-mnist';
import { loadIdxDataset } from '../../src/data/idx-dataset';
import { IDX_FILES } from '../../src/data/known-datasets';
import { dataError, firstLine, memory } from './dataset-fixtures';
import { gz, idx, idxImages, idxLabels, tinyDataset } from './fixtures';

const F = IDX_FILES;
const enc = (s: string) => new TextEncoder().encode(s);

/** 20x24 images, 13 classes: 26 training and 13 test examples, labels cycling 0..12. */
function odd(raw = false): Map<string, Uint8Array> {
  const files: [string, Uint8Array][] = [
    [F.trainImages, idxImages(26, 20, 24)],
    [F.trainLabels, idxLabels(Array.from({ length: 26 }, (_, i) => i % 13))],
    [F.testImages, idxImages(13, 20, 24)],
    [F.testLabels, idxLabels(Array.from({ length: 13 }, (_, i) => 12 - i))],
  ];
  return new Map(files.map(([n, b], i) => (raw || i % 2 === 1 ? [n, b] : [`${n}.gz`, gz(b)])));
}

describe('loadIdxDataset', () => {
  it('reads 20x24 images of 13 classes, mixing .gz and raw files', async () => {
    const d = await loadIdxDataset(memory(odd()), 'mem');
    expect(d.shape).toEqual([20, 24, 1]);
    expect(d.format).toBe('idx');
    expect(d.train.images.length).toBe(26 * 480);
    expect(d.test.images.length).toBe(13 * 480);
    expect(Array.from(d.train.labels.subarray(10, 15))).toEqual([10, 11, 12, 0, 1]);
    expect(d.classes).toEqual(Array.from({ length: 13 }, (_, i) => String(i)));
    expect(d.classesFrom).toBe('labels');
    expect(d.files).toEqual([`${F.trainImages}.gz`, F.trainLabels, `${F.testImages}.gz`, F.testLabels]);
    // Pixel values as the fixture wrote them: (image * 31 + pixel) mod 256.
    expect(d.train.images[3 * 480 + 5]).toBe((3 * 31 + 5) & 0xff);
    const ds = createDataset(d);
    expect([ds.train.count, ds.test!.count, ds.classes.length]).toEqual([26, 13, 13]);
  });

  it('names the classes from classes.txt beside the files', async () => {
    const files = odd(true);
    const names = Array.from({ length: 13 }, (_, i) => `class ${String.fromCharCode(65 + i)}`);
    files.set('classes.txt', enc(`\uFEFF${names.join('\r\n')}\r\n\n`));
    const d = await loadIdxDataset(memory(files), 'mem');
    expect(d.classes).toEqual(names);
    expect(d.classesFrom).toBe('classes.txt');
  });

  it('rejects labels outside the count classes.txt gives, naming both files', async () => {
    const files = odd(true);
    files.set('classes.txt', enc('a\nb\nc\n'));
    const e = await dataError(loadIdxDataset(memory(files), 'mem'));
    expect(firstLine(e)).toBe('train-labels-idx1-ubyte (in mem): label 3 at index 3 is outside 0..2');
    expect(e.hint).toMatch(/classes\.txt \(in mem\) names 3 classes/);
  });

  it.each([
    ['an empty classes.txt', '', /classes\.txt \(in mem\) names no classes/],
    ['a blank line among the names', 'a\n\nb\n', /classes\.txt \(in mem\): line 2 is blank/],
  ])('rejects %s', async (_, text, message) => {
    const files = odd(true);
    files.set('classes.txt', enc(text));
    expect(firstLine(await dataError(loadIdxDataset(memory(files), 'mem')))).toMatch(message);
  });

  it('rejects train and test images of different sizes', async () => {
    const files = odd(true);
    files.set(F.testImages, idxImages(13, 24, 20));
    expect(firstLine(await dataError(loadIdxDataset(memory(files), 'mem')))).toBe(
      't10k-images-idx3-ubyte (in mem): test images are 24x20, but the training images (train-images-idx3-ubyte) are 20x24',
    );
  });

  it('rejects a label file shorter than the images', async () => {
    const files = odd(true);
    files.set(F.trainLabels, idxLabels([1, 2, 3]));
    expect(firstLine(await dataError(loadIdxDataset(memory(files), 'mem')))).toBe(
      'train-images-idx3-ubyte has 26 images but train-labels-idx1-ubyte has 3 labels (in mem)',
    );
  });

  it('rejects a truncated file, naming it', async () => {
    const files = odd(true);
    files.set(F.testImages, idxImages(13, 20, 24).subarray(0, 100));
    expect(firstLine(await dataError(loadIdxDataset(memory(files), 'mem')))).toMatch(/^t10k-images-idx3-ubyte \(in mem\): truncated/);
  });

  it('lists the missing files with a generic hint', async () => {
    const files = odd(true);
    files.delete(F.testLabels);
    const e = await dataError(loadIdxDataset(memory(files), 'mem'));
    expect(firstLine(e)).toBe('IDX dataset in mem is missing t10k-labels-idx1-ubyte(.gz)');
    expect(e.hint).toMatch(/as MNIST, Fashion-MNIST and KMNIST are distributed; in a folder \(or dropped files\) the variants others ship are read too: EMNIST/);
  });

  it('gives MNIST-style 28x28 data numbered classes, and the official Fashion-MNIST its names', async () => {
    const mnist = await loadIdxDataset(memory(tinyDataset()), 'mem');
    expect(mnist.classes).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    // The official split, recognised by its sizes and first labels (labels start 9,0,0,3,... and 9,2,1,1,...).
    const train = [9, 0, 0, 3, 0, 2, 7, 2, 5, 5, ...Array.from({ length: 59_990 }, (_, i) => i % 10)];
    const test = [9, 2, 1, 1, 6, 1, 4, 6, 5, 7, ...Array.from({ length: 9_990 }, (_, i) => i % 10)];
    const files = new Map<string, Uint8Array>([
      [F.trainImages, idx(0x08, [60_000, 28, 28], new Uint8Array(60_000 * 784))],
      [F.trainLabels, idxLabels(train)],
      [F.testImages, idx(0x08, [10_000, 28, 28], new Uint8Array(10_000 * 784))],
      [F.testLabels, idxLabels(test)],
    ]);
    const fashion = await loadIdxDataset(memory(files), 'mem');
    expect([fashion.classes, fashion.classesFrom]).toEqual([FASHION_MNIST_CLASSES, 'Fashion-MNIST']);
    // The same sizes with MNIST's first labels (5, 0, 4, 1, ...) are digits.
    files.set(F.trainLabels, idxLabels([5, 0, 4, 1, 9, 2, 1, 3, 1, 4, ...train.slice(10)]));
    expect((await loadIdxDataset(memory(files), 'mem')).classesFrom).toBe('labels');
  });

  it('keeps loadFashionMnist a wrapper with its own checks and names', async () => {
    const d = await loadFashionMnist(memory(tinyDataset()), 'mem');
    expect(Object.keys(d).sort()).toEqual(['classes', 'shape', 'source', 'test', 'train']);
    expect(d.classes).toEqual(FASHION_MNIST_CLASSES);
    // classes.txt is not consulted: Fashion-MNIST's names are fixed.
    const files = tinyDataset();
    files.set('classes.txt', enc('x\n'));
    expect((await loadFashionMnist(memory(files), 'mem')).classes).toEqual(FASHION_MNIST_CLASSES);
    expect(firstLine(await dataError(loadFashionMnist(memory(odd()), 'mem')))).toMatch(/images are 20x24; Fashion-MNIST's are 28x28/);
  });
});
