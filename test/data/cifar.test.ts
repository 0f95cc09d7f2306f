/** CIFAR-10/100 binary files: records, CHW -> HWC, class names, and damaged files. */
import { describe, expect, it } from 'vitest';
import { loadCifar, parseCifar } from '../../src/data/cifar';
import { createDataset } from '../../src/data/dataset';
import { CIFAR10_CLASSES } from '../../src/data/known-datasets';
import { cifar10Files, cifarFile, cifarPixel, dataError, firstLine, memory } from './dataset-fixtures';
import { gz } from './fixtures';

const enc = (s: string) => new TextEncoder().encode(s);

/** Every pixel of example `i` of `images` is cifarPixel(n, c, y, x) at (y * 32 + x) * 3 + c: HWC. */
function expectHwc(images: Uint8Array, i: number, n: number): void {
  const bad: string[] = [];
  for (let y = 0; y < 32; y++) {
    for (let x = 0; x < 32; x++) {
      for (let c = 0; c < 3; c++) {
        const got = images[i * 3072 + (y * 32 + x) * 3 + c];
        if (got !== cifarPixel(n, c, y, x)) bad.push(`(${y}, ${x}, ${c}): ${got} != ${cifarPixel(n, c, y, x)}`);
      }
    }
  }
  expect(bad.slice(0, 5)).toEqual([]);
}

describe('parseCifar', () => {
  it('converts each record from CHW to HWC, pixel by pixel', async () => {
    const b = await parseCifar(cifarFile([3, 7, 0], 'cifar-10'), 'f.bin', 'cifar-10');
    expect(b.count).toBe(3);
    expect(Array.from(b.labels)).toEqual([3, 7, 0]);
    expect(b.images.length).toBe(3 * 3072);
    for (let i = 0; i < 3; i++) expectHwc(b.images, i, i);
    // The first pixel's three channels sit together.
    expect(Array.from(b.images.subarray(0, 3))).toEqual([cifarPixel(0, 0, 0, 0), cifarPixel(0, 1, 0, 0), cifarPixel(0, 2, 0, 0)]);
  });

  it('reads the fine label of CIFAR-100 records', async () => {
    const b = await parseCifar(cifarFile([99, 42], 'cifar-100', 0, [19, 3]), 'train.bin', 'cifar-100');
    expect(Array.from(b.labels)).toEqual([99, 42]);
    expectHwc(b.images, 1, 1);
  });

  it('reads a gzipped file', async () => {
    const b = await parseCifar(gz(cifarFile([1], 'cifar-10')), 'f.bin', 'cifar-10');
    expect(b.count).toBe(1);
  });

  it.each([
    ['an empty file', new Uint8Array(0), 'cifar-10', /^f\.bin is empty$/],
    ['a partial record', cifarFile([1, 2], 'cifar-10').subarray(0, 3073 + 100), 'cifar-10', /^f\.bin: 3173 bytes is not a whole number of 3073-byte CIFAR-10 records \(1 label byte \+ 32x32x3 pixels\): 1 records and 100 bytes over$/],
    ['a CIFAR-100 file read as CIFAR-10', cifarFile([1, 2, 3], 'cifar-100'), 'cifar-10', /is it CIFAR-100\?/],
    ['a label of 10 in CIFAR-10', cifarFile([1, 10], 'cifar-10'), 'cifar-10', /^f\.bin: record 1 has label 10, outside CIFAR-10's 0\.\.9$/],
    ['a coarse label of 20 in CIFAR-100', cifarFile([5], 'cifar-100', 0, [20]), 'cifar-100', /record 0 has labels 20 \(coarse\) and 5 \(fine\)/],
  ] as const)('rejects %s', async (_, bytes, variant, message) => {
    const e = await dataError(parseCifar(bytes, 'f.bin', variant));
    expect(firstLine(e)).toMatch(message);
    expect(e.hint).toMatch(/cifar\.html/);
  });
});

describe('loadCifar', () => {
  it('joins the five CIFAR-10 batches of 7 records, in order, with the CIFAR-10 names', async () => {
    const d = await loadCifar(memory(cifar10Files(7, 4)), 'mem', 'cifar-10');
    expect(d.shape).toEqual([32, 32, 3]);
    expect(d.format).toBe('cifar-10');
    expect([d.train.labels.length, d.test.labels.length]).toEqual([35, 4]);
    expect(Array.from(d.train.labels.subarray(12, 16))).toEqual([2, 3, 4, 5]);
    expect(Array.from(d.test.labels)).toEqual([0, 3, 6, 9]);
    expect([d.classes, d.classesFrom]).toEqual([CIFAR10_CLASSES, 'CIFAR-10']);
    for (const i of [0, 6, 7, 20, 34]) expectHwc(d.train.images as Uint8Array, i, i);
    expectHwc(d.test.images as Uint8Array, 3, 1003);
    expect(d.files).toEqual(['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin', 'test_batch.bin']);
    const ds = createDataset(d, { preprocessing: 'scale01' });
    expect([ds.train.count, ds.classes.length]).toEqual([35, 10]);
  });

  it('takes the names from batches.meta.txt, and classes.txt before it', async () => {
    const files = cifar10Files(1, 1);
    files.set('batches.meta.txt', enc(`${CIFAR10_CLASSES.map((c) => c.toUpperCase()).join('\n')}\n\n`));
    let d = await loadCifar(memory(files), 'mem', 'cifar-10');
    expect([d.classes[9], d.classesFrom]).toEqual(['TRUCK', 'batches.meta.txt']);
    files.set('classes.txt', enc('a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n'));
    d = await loadCifar(memory(files), 'mem', 'cifar-10');
    expect([d.classes[9], d.classesFrom]).toEqual(['j', 'classes.txt']);
  });

  it('names the batch file of a label classes.txt does not cover', async () => {
    const files = cifar10Files(7, 4);
    files.set('classes.txt', enc('a\nb\nc\nd\ne\nf\ng\nh\n'));
    // Training label 8 first appears at example 8: data_batch_2.bin, record 1.
    const e = await dataError(loadCifar(memory(files), 'mem', 'cifar-10'));
    expect(firstLine(e)).toBe('data_batch_2.bin (in mem): label 8 at index 1 is outside 0..7');
  });

  it('loads CIFAR-100 with 100 classes, named by fine_label_names.txt when present', async () => {
    const files = new Map([
      ['train.bin', cifarFile([0, 99, 50, 7, 13], 'cifar-100')],
      ['test.bin', cifarFile([42, 3], 'cifar-100', 500)],
    ]);
    let d = await loadCifar(memory(files), 'mem', 'cifar-100');
    expect([d.format, d.classes.length, d.classes[0], d.classes[99], d.classesFrom]).toEqual(['cifar-100', 100, 'apple', 'worm', 'CIFAR-100']);
    expect(Array.from(d.train.labels)).toEqual([0, 99, 50, 7, 13]);
    expectHwc(d.test.images as Uint8Array, 1, 501);
    files.set('fine_label_names.txt', enc(Array.from({ length: 100 }, (_, i) => `fine${i}`).join('\n')));
    d = await loadCifar(memory(files), 'mem', 'cifar-100');
    expect([d.classes[42], d.classesFrom]).toEqual(['fine42', 'fine_label_names.txt']);
  });

  it('lists the missing files', async () => {
    const files = cifar10Files(1, 1);
    files.delete('data_batch_3.bin');
    files.delete('test_batch.bin');
    expect(firstLine(await dataError(loadCifar(memory(files), 'mem', 'cifar-10')))).toBe('CIFAR-10 in mem is missing data_batch_3.bin, test_batch.bin');
  });

  it('names a file whose size is not a whole number of records', async () => {
    const files = cifar10Files(2, 1);
    files.set('data_batch_4.bin', files.get('data_batch_4.bin')!.subarray(0, 5000));
    expect(firstLine(await dataError(loadCifar(memory(files), 'mem', 'cifar-10')))).toMatch(/^data_batch_4\.bin \(in mem\): 5000 bytes is not a whole number/);
  });
});
