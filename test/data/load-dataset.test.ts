/** loadDataset (choose the reader by the file names present) and, in Node, loadDatasetFromDisk. */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CIFAR10_CLASSES } from '../../src/data/known-datasets';
import { detectLayouts, loadDataset } from '../../src/data/load-dataset';
import { loadDatasetFromDisk } from '../../src/data/load-dataset-node';
import { fileListReader } from '../../src/data/readers';
import { cifar10Files, cifarFile, dataError, firstLine, memory, smallNpz } from './dataset-fixtures';
import { idxImages, idxLabels, tempDir, tinyDataset, writeDataset } from './fixtures';

const enc = (s: string) => new TextEncoder().encode(s);
const cifar100 = () => new Map([['train.bin', cifarFile([1, 2, 3], 'cifar-100')], ['test.bin', cifarFile([4], 'cifar-100')]]);

describe('loadDataset', () => {
  it('picks the reader from a listing', async () => {
    for (const [files, format] of [
      [tinyDataset(), 'idx'],
      [cifar10Files(2, 1), 'cifar-10'],
      [cifar100(), 'cifar-100'],
      [new Map([['mnist.npz', smallNpz()], ['README', enc('hi')]]), 'npz'],
    ] as const) {
      const d = await loadDataset(memory(files), 'mem', [...files.keys()]);
      expect(d.format).toBe(format);
    }
  });

  it('reads the IDX file names EMNIST and Kaggle ship, by role, and refuses two candidates for one file', async () => {
    const renamed = (rename: (name: string) => string, raw = false) => new Map([...tinyDataset(raw)].map(([n, b]) => [rename(n), b]));
    const emnist = renamed((n) => `emnist-letters-${n}`);
    const d = await loadDataset(memory(emnist), 'mem', [...emnist.keys()]);
    expect([d.format, d.train.labels.length, d.test.labels.length]).toEqual(['idx', 3, 2]);
    // Kaggle: train-images.idx3-ubyte, test for t10k, upper case seen too.
    const kaggle = renamed((n) => n.replace('t10k', 'test').replace(/-(idx[13])-/, '.$1-').toUpperCase(), true);
    expect([...kaggle.keys()]).toContain('TRAIN-IMAGES.IDX3-UBYTE');
    expect((await loadDataset(memory(kaggle), 'mem', [...kaggle.keys()])).test.labels).toEqual(Uint8Array.of(1, 9));
    const both = new Map([...emnist, ...renamed((n) => `emnist-digits-${n}`)]);
    const e = await dataError(loadDataset(memory(both), 'mem', [...both.keys()]));
    expect(firstLine(e)).toMatch(/^mem holds more than one train-images-idx3-ubyte: emnist-letters-train-images-idx3-ubyte\.gz, emnist-digits-train-images-idx3-ubyte\.gz\.$/);
    expect(detectLayouts(['notes-train-images.txt', 'image.png'])).toEqual([]);
  });

  it('probes for the layouts without a listing', async () => {
    expect((await loadDataset(memory(tinyDataset(true)), 'mem')).format).toBe('idx');
    expect((await loadDataset(memory(cifar10Files(1, 1)), 'mem')).classes).toEqual(CIFAR10_CLASSES);
    expect((await loadDataset(memory(cifar100()), 'mem')).format).toBe('cifar-100');
    expect((await loadDataset(memory(new Map([['k.npz', smallNpz()]])), 'https://x.test/data/k.npz')).format).toBe('npz');
  });

  it('reads each file once when probing', async () => {
    const files = tinyDataset();
    const reads: string[] = [];
    await loadDataset(async (n) => (reads.push(n), files.get(n)), 'mem');
    expect(reads.filter((n) => n === 'train-images-idx3-ubyte.gz')).toHaveLength(1);
  });

  it('works on files a person dropped', async () => {
    const files = [...cifar10Files(1, 1)].map(([name, b]) => new File([Uint8Array.from(b)], name));
    const d = await loadDataset(fileListReader(files), 'dropped files', files.map((f) => f.name));
    expect(d.train.labels.length).toBe(5);
  });

  it('says what it found and what it expects for an unknown layout', async () => {
    const e = await dataError(loadDataset(memory(new Map()), 'mem', ['cats.zip', 'notes.txt']));
    expect(firstLine(e)).toBe('No dataset found in mem: it holds cats.zip, notes.txt.');
    expect(e.hint).toMatch(/train-images-idx3-ubyte.*data_batch_1\.bin.*train\.bin.*x_train, y_train, x_test, y_test/);
    const probed = await dataError(loadDataset(memory(new Map()), 'mem'));
    expect(firstLine(probed)).toMatch(/^No dataset found in mem: none of train-images-idx3-ubyte\.gz, .*test\.bin is there\.$/);
    const empty = await dataError(loadDataset(memory(new Map()), 'mem', []));
    expect(firstLine(empty)).toBe('No dataset found in mem: it holds no files.');
  });

  it('refuses a folder holding two datasets', async () => {
    const names = ['train.bin', 'test.bin', 'a.npz'];
    expect(firstLine(await dataError(loadDataset(memory(new Map()), 'mem', names)))).toBe('mem holds more than one dataset: cifar-100 (train.bin, test.bin); npz (a.npz).');
  });

  it('reports an incomplete layout as missing files', async () => {
    const files = cifar10Files(1, 1);
    files.delete('data_batch_5.bin');
    expect(firstLine(await dataError(loadDataset(memory(files), 'mem', [...files.keys()])))).toBe('CIFAR-10 in mem is missing data_batch_5.bin');
  });

  it('detects layouts by name', () => {
    expect(detectLayouts(['t10k-labels-idx1-ubyte.gz', 'x.NPZ', 'classes.txt']).map((l) => l.format)).toEqual(['idx', 'npz']);
  });
});

describe('loadDatasetFromDisk', () => {
  let root: string;
  beforeAll(async () => {
    root = await tempDir('wgml-load-');
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it('loads an IDX folder of any size, with classes.txt', async () => {
    const dir = join(root, 'idx');
    await writeDataset(dir, new Map([
      ['train-images-idx3-ubyte', idxImages(4, 20, 24)],
      ['train-labels-idx1-ubyte', idxLabels([0, 12, 3, 4])],
      ['t10k-images-idx3-ubyte', idxImages(1, 20, 24)],
      ['t10k-labels-idx1-ubyte', idxLabels([7])],
      ['classes.txt', enc(Array.from({ length: 13 }, (_, i) => `c${i}`).join('\n'))],
    ]));
    const d = await loadDatasetFromDisk(dir);
    expect([d.format, d.shape, d.classes.length, d.classes[12], d.source]).toEqual(['idx', [20, 24, 1], 13, 'c12', dir]);
  });

  it('loads a CIFAR-10 folder, also from the folder the archive unpacks into', async () => {
    const outer = join(root, 'cifar');
    await writeDataset(join(outer, 'cifar-10-batches-bin'), cifar10Files(2, 3));
    const d = await loadDatasetFromDisk(outer);
    expect([d.format, d.train.labels.length, d.source]).toEqual(['cifar-10', 10, join(outer, 'cifar-10-batches-bin')]);
  });

  it('loads an .npz file, with classes.txt beside it, and a folder holding one', async () => {
    const dir = join(root, 'npz');
    await writeDataset(dir, new Map([['small.npz', smallNpz('stored')], ['classes.txt', enc('a\nb\nc\nd\ne\nf\n')]]));
    const d = await loadDatasetFromDisk(join(dir, 'small.npz'));
    expect([d.format, d.shape, d.classes[5], d.source]).toEqual(['npz', [4, 5, 1], 'f', dir]);
    expect((await loadDatasetFromDisk(dir)).train.labels.length).toBe(6);
  });

  it('says "not a file" for a directory in place of a data file', async () => {
    const dir = join(root, 'dir-in-place');
    const files = cifar10Files(1, 1);
    files.delete('test_batch.bin');
    await writeDataset(dir, files);
    await mkdir(join(dir, 'test_batch.bin'));
    const e = await dataError(loadDatasetFromDisk(dir));
    expect(firstLine(e)).toBe(`${join(dir, 'test_batch.bin')} is a directory, not a file`);
    const npzDir = join(root, 'npz-dir');
    await mkdir(join(npzDir, 'data.npz'), { recursive: true });
    expect(firstLine(await dataError(loadDatasetFromDisk(npzDir)))).toBe(`${join(npzDir, 'data.npz')} is a directory, not a file`);
  });

  it('names a missing path, a plain file, and an empty folder', async () => {
    expect(firstLine(await dataError(loadDatasetFromDisk(join(root, 'nope'))))).toBe(`${join(root, 'nope')} does not exist`);
    const file = join(root, 'train-images-idx3-ubyte');
    await writeFile(file, idxImages(1));
    const e = await dataError(loadDatasetFromDisk(file));
    expect(firstLine(e)).toBe(`${file} is a file, not a dataset folder or an .npz archive`);
    expect(e.hint).toContain(`Pass the folder that holds it (${root})`);
    await mkdir(join(root, 'empty'));
    expect(firstLine(await dataError(loadDatasetFromDisk(join(root, 'empty'))))).toBe(`No dataset found in ${join(root, 'empty')}: it holds no files.`);
  });
});
