/**
 * `wgml train` with a model file on each dataset format people bring (IDX of another size and
 * class count, CIFAR-10 binary, NumPy .npz of float32 colour images), generated here: each run must
 * reach the accuracy the data allows, and `evaluate` must work from the run folder alone.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { idx } from '../data/fixtures';
import { npy, npz } from '../data/dataset-fixtures';

function cli(...args: string[]) {
  const r = spawnSync('npx', ['vite-node', 'src/cli/main.ts', ...args], { encoding: 'utf8', timeout: 300_000, env: { ...process.env, WGML_DATA: '' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/**
 * `count` h x w x c images (HWC bytes) of noise with a bright square whose cell of a 3x3 grid (and,
 * in colour, whose channel) is the class, as learnable as the classes are distinct.
 */
function squares(count: number, h: number, w: number, c: number, classes: number, seed: number) {
  let s = seed;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const images = new Uint8Array(count * h * w * c);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const k = Math.floor(next() * classes);
    labels[i] = k;
    const cell = k % 9;
    const [y0, x0] = [Math.floor(cell / 3) * Math.floor(h / 3), (cell % 3) * Math.floor(w / 3)];
    const lit = c === 3 ? Math.floor(k / 9) % 3 : 0;
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let ch = 0; ch < c; ch++) {
      const inside = y >= y0 && y < y0 + Math.floor(h / 3) && x >= x0 && x < x0 + Math.floor(w / 3);
      images[((i * h + y) * w + x) * c + ch] = Math.floor(next() * 70) + (inside && (c === 1 || ch === lit) ? 170 : 0);
    }
  }
  return { images, labels };
}

function modelFile(dir: string, name: string, input: number[], classes: number): string {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify({
    name, input,
    layers: [
      { type: 'conv2d', filters: 8, kernelSize: 3, padding: 'same', activation: 'relu' },
      { type: 'maxpool2d', poolSize: 2 },
      { type: 'dropout', rate: 0.1 },
      { type: 'flatten' },
      { type: 'dense', units: classes, activation: 'softmax' },
    ],
    train: { optimizer: 'adam', lr: 0.005, batchSize: 32, epochs: 3, preprocessing: 'scale01' },
  }));
  return file;
}

/** Trains `model` on `data`, then evaluates the run folder; returns both test accuracies (%). */
function trainAndEvaluate(dir: string, model: string, data: string): { trained: number; evaluated: number; out: string } {
  const out = join(dir, 'run');
  const t = cli('train', '--model', model, '--data', data, '--out', out);
  expect(t.code, t.err).toBe(0);
  const e = cli('evaluate', '--weights', out, '--data', data);
  expect(e.code, e.err).toBe(0);
  const accuracy = (text: string) => Number(/test: accuracy ([\d.]+)%/.exec(text)![1]);
  return { trained: accuracy(t.out), evaluated: accuracy(e.out), out: t.out };
}

describe('train and evaluate a model file on data in each format', { timeout: 900_000 }, () => {
  it('IDX: 20x24 grey images, 7 classes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wgml-idx-'));
    const data = join(dir, 'data');
    const write = (name: string, bytes: Uint8Array) => writeFileSync(join(data, name), bytes);
    spawnSync('mkdir', [data]);
    const train = squares(1500, 20, 24, 1, 7, 1);
    const test = squares(400, 20, 24, 1, 7, 2);
    write('train-images-idx3-ubyte', idx(0x08, [1500, 20, 24], train.images));
    write('train-labels-idx1-ubyte', idx(0x08, [1500], train.labels));
    write('t10k-images-idx3-ubyte', idx(0x08, [400, 20, 24], test.images));
    write('t10k-labels-idx1-ubyte', idx(0x08, [400], test.labels));
    writeFileSync(join(data, 'classes.txt'), ['nw', 'n', 'ne', 'w', 'centre', 'e', 'sw'].join('\n'));
    const r = trainAndEvaluate(dir, modelFile(dir, 'grey7', [20, 24, 1], 7), data);
    expect(r.trained).toBeGreaterThan(95);
    expect(r.evaluated).toBe(r.trained);
    expect(r.out).toMatch(/20x24x1, 7 classes/);
    expect(r.out).toMatch(/^centre +\d/m); // the confusion table names the classes from classes.txt
  });

  it('CIFAR-10 binary: 32x32 colour records stored channel-major', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wgml-cifar-'));
    const data = join(dir, 'cifar-10-batches-bin');
    spawnSync('mkdir', [data]);
    // CHW per record: label byte, then the R, G and B planes.
    const record = (images: Uint8Array, labels: Uint8Array) => {
      const out = new Uint8Array(labels.length * 3073);
      labels.forEach((label, i) => {
        out[i * 3073] = label;
        for (let ch = 0; ch < 3; ch++) for (let p = 0; p < 1024; p++) out[i * 3073 + 1 + ch * 1024 + p] = images[(i * 1024 + p) * 3 + ch]!;
      });
      return out;
    };
    for (let b = 1; b <= 5; b++) {
      const part = squares(300, 32, 32, 3, 10, 10 + b);
      writeFileSync(join(data, `data_batch_${b}.bin`), record(part.images, part.labels));
    }
    const test = squares(400, 32, 32, 3, 10, 3);
    writeFileSync(join(data, 'test_batch.bin'), record(test.images, test.labels));
    const r = trainAndEvaluate(dir, modelFile(dir, 'colour10', [32, 32, 3], 10), dir);
    expect(r.trained).toBeGreaterThan(90);
    expect(r.evaluated).toBe(r.trained);
    expect(r.out).toMatch(/^airplane +\d/m); // CIFAR-10's own class names
  });

  it('NumPy .npz: float32 16x16x3 images, int64 labels, 5 classes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wgml-npz-'));
    const train = squares(1500, 16, 16, 3, 5, 4);
    const test = squares(400, 16, 16, 3, 5, 5);
    const float = (a: Uint8Array) => Float32Array.from(a);
    const int64 = (a: Uint8Array) => BigInt64Array.from(a, (v) => BigInt(v));
    const file = join(dir, 'colours.npz');
    writeFileSync(file, npz({
      x_train: npy(float(train.images), [1500, 16, 16, 3]),
      y_train: npy(int64(train.labels), [1500]),
      x_test: npy(float(test.images), [400, 16, 16, 3]),
      y_test: npy(int64(test.labels), [400]),
    }));
    const r = trainAndEvaluate(dir, modelFile(dir, 'float5', [16, 16, 3], 5), file);
    expect(r.trained).toBeGreaterThan(95);
    expect(r.evaluated).toBe(r.trained);
  });

  it('refuses a model that does not fit the data, naming both shapes, before the GPU', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wgml-misfit-'));
    const test = squares(40, 16, 16, 3, 5, 5);
    const file = join(dir, 'small.npz');
    writeFileSync(file, npz({
      x_train: npy(test.images, [40, 16, 16, 3]), y_train: npy(test.labels, [40]),
      x_test: npy(test.images, [40, 16, 16, 3]), y_test: npy(test.labels, [40]),
    }));
    const r = cli('train', '--model', 'cnn', '--data', file, '--epochs', '1');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/cnn takes input \(None, 28, 28, 1\)[^]*\(None, 16, 16, 3\)/);
    expect(r.out).not.toMatch(/^adapter:/m);
  });
});
