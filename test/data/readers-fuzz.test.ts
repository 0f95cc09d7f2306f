/**
 * Fuzzing the dataset readers (IDX, CIFAR, .npz) with random bytes, truncations, bit flips and
 * overwritten runs of valid files: each must resolve or reject with a WgmlError (a DataError naming
 * the file), never another exception and never a hang. A loaded result must also pass createDataset
 * or be rejected by it with a WgmlError.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadCifar, parseCifar } from '../../src/data/cifar';
import { createDataset } from '../../src/data/dataset';
import { loadIdxDataset } from '../../src/data/idx-dataset';
import { loadDataset } from '../../src/data/load-dataset';
import { parseNpy } from '../../src/data/npy';
import { loadNpz } from '../../src/data/npz';
import { cifar10Files, cifarFile, memory, npy, npz, settlesCleanly, smallNpz } from './dataset-fixtures';
import { gz, idxImages, idxLabels } from './fixtures';

/** A damaged copy of `valid`: truncated, bit-flipped, partly overwritten, or replaced by random bytes. */
function damaged(valid: Uint8Array): fc.Arbitrary<Uint8Array> {
  const n = valid.length;
  return fc.oneof(
    fc.nat({ max: n }).map((end) => valid.slice(0, end)),
    fc.array(fc.tuple(fc.nat({ max: n - 1 }), fc.integer({ min: 0, max: 7 })), { minLength: 1, maxLength: 8 }).map((flips) => {
      const b = Uint8Array.from(valid);
      for (const [i, bit] of flips) b[i]! ^= 1 << bit;
      return b;
    }),
    fc.tuple(fc.nat({ max: n - 1 }), fc.uint8Array({ minLength: 1, maxLength: 48 })).map(([at, junk]) => {
      const b = Uint8Array.from(valid);
      b.set(junk.subarray(0, n - at), at);
      return b;
    }),
    fc.tuple(fc.nat({ max: n }), fc.uint8Array({ minLength: 1, maxLength: 64 })).map(([at, extra]) => Uint8Array.from([...valid.subarray(0, at), ...extra, ...valid.subarray(at)])),
    fc.uint8Array({ maxLength: 600 }),
  );
}

/** Load, then createDataset on success: only WgmlErrors, within the time limit. */
async function cleanly(load: () => Promise<Parameters<typeof createDataset>[0]>): Promise<void> {
  const problem = await settlesCleanly(load().then((d) => createDataset(d)));
  expect(problem).toBeNull();
}

const RUNS = { numRuns: 500 };
const TIMEOUT = 90_000;

/** A folder's files with one of them replaced by a damaged copy. */
function withDamagedFile(files: Map<string, Uint8Array>): fc.Arbitrary<Map<string, Uint8Array>> {
  return fc.constantFrom(...files.keys()).chain((name) => damaged(files.get(name)!).map((b) => new Map([...files, [name, b]])));
}

describe('reader fuzzing: only WgmlErrors, never a crash or a hang', () => {
  it('IDX, raw and gzipped', async () => {
    const raw = new Map([
      ['train-images-idx3-ubyte', idxImages(3, 5, 4)],
      ['train-labels-idx1-ubyte', idxLabels([0, 4, 2])],
      ['t10k-images-idx3-ubyte', idxImages(2, 5, 4)],
      ['t10k-labels-idx1-ubyte', idxLabels([1, 3])],
      ['classes.txt', new TextEncoder().encode('a\nb\nc\nd\ne\n')],
    ]);
    const gzipped = new Map([...raw].map(([n, b]) => (n.endsWith('ubyte') ? [`${n}.gz`, gz(b)] : [n, b])));
    await fc.assert(
      fc.asyncProperty(fc.oneof(withDamagedFile(raw), withDamagedFile(gzipped)), async (files) => {
        await cleanly(() => loadIdxDataset(memory(files), 'fuzz'));
      }),
      RUNS,
    );
  }, TIMEOUT);

  it('CIFAR-10 and CIFAR-100 files', async () => {
    const ten = cifar10Files(1, 1);
    const hundred = new Map([['train.bin', cifarFile([5, 99], 'cifar-100')], ['test.bin', cifarFile([0], 'cifar-100')]]);
    await fc.assert(
      fc.asyncProperty(fc.oneof(withDamagedFile(ten), withDamagedFile(hundred)), async (files) => {
        await cleanly(() => loadCifar(memory(files), 'fuzz', files.has('train.bin') ? 'cifar-100' : 'cifar-10'));
      }),
      RUNS,
    );
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 8000 }), fc.constantFrom('cifar-10', 'cifar-100') as fc.Arbitrary<'cifar-10' | 'cifar-100'>, async (bytes, variant) => {
        expect(await settlesCleanly(parseCifar(bytes, 'f.bin', variant))).toBeNull();
      }),
      RUNS,
    );
  }, TIMEOUT);

  it('.npz archives, stored and deflated', async () => {
    const floats = npz({
      x_train: [npy(Float32Array.from({ length: 2 * 2 * 2 * 3 }, (_, i) => i / 7), [2, 2, 2, 3]), 'stored'],
      y_train: npy(BigInt64Array.from([1n, 0n]), [2, 1]),
      x_test: [npy(new Float64Array(12), [1, 2, 2, 3]), 'stored'],
      y_test: [npy(Int16Array.from([1]), [1]), 'stored'],
    });
    await fc.assert(
      fc.asyncProperty(fc.oneof(damaged(smallNpz('stored')), damaged(smallNpz('deflated')), damaged(floats)), async (bytes) => {
        await cleanly(() => loadNpz(memory(new Map([['d.npz', bytes]])), 'fuzz', 'd.npz'));
      }),
      RUNS,
    );
  }, TIMEOUT);

  it('.npy headers of any text', () => {
    fc.assert(
      fc.property(fc.constantFrom(1, 2, 3), fc.string({ maxLength: 120 }), fc.uint8Array({ maxLength: 64 }), (version, header, data) => {
        const head = new TextEncoder().encode(header);
        const prefix = version === 1 ? 10 : 12;
        const b = new Uint8Array(prefix + head.length + data.length);
        b.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
        new DataView(b.buffer).setUint16(8, head.length, true);
        b.set(head, prefix);
        b.set(data, prefix + head.length);
        try {
          parseNpy(b, 'a.npy');
        } catch (e) {
          expect((e as Error).name).toBe('DataError');
        }
      }),
      { numRuns: 500 },
    );
  });

  it('the dispatcher, on folders of damaged files', async () => {
    const folders = [cifar10Files(1, 1), new Map([['k.npz', smallNpz()]])];
    await fc.assert(
      fc.asyncProperty(fc.oneof(...folders.map(withDamagedFile)), async (files) => {
        await cleanly(() => loadDataset(memory(files), 'fuzz', [...files.keys()]));
      }),
      { numRuns: 100 },
    );
  }, TIMEOUT);
});
