/** NumPy .npy arrays and .npz datasets (the keras.datasets load_data() layout), written by a tiny writer here. */
import { describe, expect, it } from 'vitest';
import { createDataset } from '../../src/data/dataset';
import { parseNpy } from '../../src/data/npy';
import { loadNpz, parseNpz } from '../../src/data/npz';
import { dataError, firstLine, memory, npy, npyBytes, npz, smallNpz } from './dataset-fixtures';

const enc = (s: string) => new TextEncoder().encode(s);
const one = (bytes: Uint8Array, name = 'd.npz') => memory(new Map([[name, bytes]]));

describe('parseNpy', () => {
  it('reads header versions 1, 2 and 3', () => {
    const data = Int32Array.from([1, -2, 3, 4, 5, 6]);
    for (const version of [1, 2, 3] as const) {
      const a = parseNpy(npy(data, [2, 3], { version }), 'a.npy');
      expect([a.dtype, a.shape, a.size, a.data.length]).toEqual(['i4', [2, 3], 6, 24]);
    }
    expect(parseNpy(npy(Float64Array.from([1.5]), []), 'a.npy').shape).toEqual([]);
  });

  it.each([
    ['unicode strings', npyBytes('<U5', [2], new Uint8Array(40)), /dtype '<U5' \(unicode strings\) is not numeric/],
    ['Python objects', npyBytes('|O', [2], new Uint8Array(16)), /dtype '\|O' \(Python objects\) is not numeric/],
    ['booleans', npyBytes('|b1', [2], new Uint8Array(2)), /dtype '\|b1' \(booleans\)/],
    ['float16', npyBytes('<f2', [2], new Uint8Array(4)), /dtype '<f2' is not one we read/],
    ['big-endian', npyBytes('>i4', [1], new Uint8Array(4)), /dtype '>i4' is big-endian/],
    ['Fortran order', npy(Uint8Array.from([1, 2, 3, 4]), [2, 2], { fortran: true }), /Fortran \(column-major\) order/],
    ['truncated data', npy(Uint8Array.from([1, 2, 3, 4]), [2, 2]).subarray(0, 128 + 2), /truncated: the header says shape \(2, 2\) of u1 = 4 bytes, but only 2 are present/],
    ['extra data', Uint8Array.from([...npy(Uint8Array.from([1]), [1]), 0]), /1 unexpected bytes after/],
    ['a truncated header', npy(Uint8Array.from([1]), [1]).subarray(0, 30), /truncated \.npy header/],
    ['no magic', enc('PK\u0003\u0004 not npy'), /not a NumPy \.npy array/],
    ['version 4', Uint8Array.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 4, 0, 0, 0]), /version 4\.0/],
  ])('rejects %s, naming the file', (_, bytes, message) => {
    let e: unknown;
    try {
      parseNpy(bytes, 'a.npy');
    } catch (err) {
      e = err;
    }
    expect((e as Error).name).toBe('DataError');
    expect(firstLine(e as Error)).toMatch(/^a\.npy: /);
    expect((e as Error).message).toMatch(message);
  });
});

describe('loadNpz', () => {
  it.each(['stored', 'deflated'] as const)('reads uint8 N x H x W images and int64 [N, 1] labels (%s members)', async (mode) => {
    const d = await loadNpz(one(smallNpz(mode)), 'mem', 'd.npz');
    expect([d.format, d.shape, d.files, d.classesFrom]).toEqual(['npz', [4, 5, 1], ['d.npz'], 'labels']);
    expect(d.train.images).toBeInstanceOf(Uint8Array);
    expect(Array.from(d.train.images.subarray(0, 3))).toEqual([0, 7, 14]);
    expect(d.train.images[25]).toBe((25 * 7) & 0xff);
    expect(Array.from(d.train.labels)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(Array.from(d.test.labels)).toEqual([5, 0]);
    expect(d.classes).toEqual(['0', '1', '2', '3', '4', '5']);
    expect(createDataset(d).train.count).toBe(6);
  });

  it('reads float32 N x H x W x 3 images with a mix of stored and deflated members, and float64 narrowed', async () => {
    const px = (n: number) => Float32Array.from({ length: n * 2 * 3 * 3 }, (_, i) => i / 10);
    const bytes = npz({
      x_train: [npy(px(5), [5, 2, 3, 3]), 'stored'],
      y_train: [npy(Uint16Array.from([0, 1, 2, 1, 0]), [5]), 'deflated'],
      x_test: [npy(Float64Array.from(px(2)), [2, 2, 3, 3]), 'deflated'],
      y_test: [npy(Int8Array.from([2, 2]), [2]), 'stored'],
    });
    const d = await loadNpz(one(bytes), 'mem', 'd.npz');
    expect(d.shape).toEqual([2, 3, 3]);
    expect(d.train.images).toBeInstanceOf(Float32Array);
    expect(d.test.images).toBeInstanceOf(Float32Array);
    expect(Array.from(d.train.images.subarray(0, 4))).toEqual(Array.from(px(1).subarray(0, 4)));
    expect(d.test.images[35]).toBeCloseTo(3.5, 6);
    expect(Array.from(d.train.labels)).toEqual([0, 1, 2, 1, 0]);
  });

  it.each([
    ['u1', Uint8Array], ['i1', Int8Array], ['u2', Uint16Array], ['i2', Int16Array],
    ['u4', Uint32Array], ['i4', Int32Array],
  ] as const)('reads %s labels', async (_, Type) => {
    const bytes = npz({
      x_train: npy(new Uint8Array(3), [3, 1, 1]),
      y_train: npy(Type.from([2, 0, 1]), [3]),
      x_test: npy(new Uint8Array(1), [1, 1, 1]),
      y_test: npy(Type.from([1]), [1, 1]),
    });
    expect(Array.from((await loadNpz(one(bytes), 'mem', 'd.npz')).train.labels)).toEqual([2, 0, 1]);
  });

  it('reads u8 labels, and names the classes from classes.txt beside the archive', async () => {
    const bytes = npz({
      x_train: npy(new Uint8Array(3), [3, 1, 1]),
      y_train: npy(BigUint64Array.from([2n, 0n, 1n]), [3]),
      x_test: npy(new Uint8Array(1), [1, 1, 1]),
      y_test: npy(BigUint64Array.from([1n]), [1]),
    });
    const files = new Map([['d.npz', bytes], ['classes.txt', enc('cat\ndog\nbird\n')]]);
    const d = await loadNpz(memory(files), 'mem', 'd.npz');
    expect([d.classes, d.classesFrom]).toEqual([['cat', 'dog', 'bird'], 'classes.txt']);
    files.set('classes.txt', enc('cat\ndog\n'));
    expect(firstLine(await dataError(loadNpz(memory(files), 'mem', 'd.npz')))).toBe('y_train of d.npz (in mem): label 2 at index 0 is outside 0..1');
  });

  const base = () => ({
    x_train: npy(new Uint8Array(12), [3, 2, 2]),
    y_train: npy(BigInt64Array.from([0n, 1n, 2n]), [3]),
    x_test: npy(new Uint8Array(4), [1, 2, 2]),
    y_test: npy(BigInt64Array.from([1n]), [1]),
  });
  it.each([
    ['a missing key', () => { const m: Record<string, Uint8Array> = base(); delete m.y_test; return npz(m); }, /^d\.npz \(in mem\) has no y_test \(it holds x_train, y_train, x_test\); expected x_train, y_train, x_test, y_test$/],
    ['string images', () => npz({ ...base(), x_train: npyBytes('<U5', [3, 2, 2], new Uint8Array(240)) }), /x_train: dtype '<U5' \(unicode strings\) is not numeric/],
    ['object labels', () => npz({ ...base(), y_train: npyBytes('|O', [3], new Uint8Array(24)) }), /y_train: dtype '\|O' \(Python objects\) is not numeric/],
    ['int16 images', () => npz({ ...base(), x_train: npy(new Int16Array(12), [3, 2, 2]) }), /x_train has dtype i2; images must be uint8 or float32/],
    ['float labels', () => npz({ ...base(), y_train: npy(new Float32Array(3), [3]) }), /y_train has dtype f4; labels must be integers/],
    ['negative labels', () => npz({ ...base(), y_train: npy(BigInt64Array.from([0n, -1n, 2n]), [3]) }), /y_train label -1 at index 1 is not a class number/],
    ['huge int64 labels', () => npz({ ...base(), y_train: npy(BigInt64Array.from([0n, 1n << 40n, 2n]), [3]) }), /y_train label 1099511627776 at index 1/],
    ['a label too large to number classes by', () => npz({ ...base(), y_train: npy(Uint32Array.from([0, 4e9, 2]), [3]) }), /^y_train of d\.npz \(in mem\): label 4000000000 at index 1 is outside 0\.\.65535$/],
    ['one-hot labels', () => npz({ ...base(), y_train: npy(new Uint8Array(9), [3, 3]) }), /y_train has shape \(3, 3\); labels must be \(N,\) or \(N, 1\)/],
    ['flat images', () => npz({ ...base(), x_train: npy(new Uint8Array(12), [3, 4]) }), /x_train has shape \(3, 4\); images must be N x H x W or N x H x W x C/],
    ['fewer labels than images', () => npz({ ...base(), y_train: npy(BigInt64Array.from([0n, 1n]), [2]) }), /x_train has 3 images but y_train has 2 labels/],
    ['train and test images of different sizes', () => npz({ ...base(), x_test: npy(new Uint8Array(9), [1, 3, 3]) }), /x_test images are 3x3x1, but x_train's are 2x2x1/],
    ['a single .npy', () => npy(new Uint8Array(4), [4]), /d\.npz \(in mem\) is a single \.npy array/],
    ['not a zip', () => enc('<html>404</html>'), /d\.npz \(in mem\) is not an \.npz \(zip\) archive/],
    ['a truncated archive', () => npz(base()).subarray(0, 200), /corrupt or truncated zip archive/],
  ])('rejects %s with a DataError naming the file', async (_, make, message) => {
    const e = await dataError(loadNpz(one(make()), 'mem', 'd.npz'));
    expect(firstLine(e)).toMatch(message);
    expect(e.message).toMatch(/d\.npz \(in mem\)/);
  });

  it('reports a missing archive', async () => {
    expect(firstLine(await dataError(loadNpz(memory(new Map()), 'mem', 'd.npz')))).toBe('d.npz (in mem) does not exist');
  });

  it('decompresses only the four arrays', () => {
    const bytes = npz({ ...base(), junk: npyBytes('|O', [1], new Uint8Array(8)) });
    expect([...parseNpz(bytes, 'd.npz', ['x_train', 'y_train']).keys()]).toEqual(['x_train', 'y_train']);
  });
});
