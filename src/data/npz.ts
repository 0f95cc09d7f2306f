/**
 * A NumPy `.npz` archive (a zip of `.npy` files, as numpy.savez and numpy.savez_compressed write it)
 * in the layout of Keras' `datasets.*.load_data()`: `x_train`, `y_train`, `x_test`, `y_test`.
 * Images uint8 or float32 (float64 narrowed to float32), N x H x W (one channel) or N x H x W x C;
 * labels of any integer dtype, shape (N,) or (N, 1). The zip is read with fflate (stored and deflated
 * members); only the four arrays are decompressed.
 */
import { unzipSync } from 'fflate';
import { DataError } from '../errors';
import { inSource, readFirst, resolveClasses, type LoadedDataset, type ReadFile } from './files';
import { isNpy, npyToFloat32, npyToWhole, parseNpy, type NpyArray } from './npy';

/** The arrays an .npz dataset must hold. */
export const NPZ_KEYS = ['x_train', 'y_train', 'x_test', 'y_test'] as const;
export type NpzKey = (typeof NPZ_KEYS)[number];

const SAVE_HINT =
  'Save the four arrays with numpy.savez(path, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test) ' +
  '(the layout of keras.datasets.*.load_data()).';
/** Deflate expands at most ~1032x; a member claiming more is corrupt (and must not size an allocation). */
const MAX_RATIO = 1100;
/** Each central-directory entry takes at least 46 bytes. */
const MIN_ENTRY = 46;

/**
 * The `.npy` members named in `keys` (without `.npy`), parsed; members not asked for are not
 * decompressed. A name missing from the archive is simply absent from the result. Corrupt or truncated
 * archives are DataErrors naming `file`.
 */
export function parseNpz(bytes: Uint8Array, file: string, keys: readonly string[]): Map<string, NpyArray> {
  const damaged = `The file is damaged (often an interrupted download) or is not an .npz archive. ${SAVE_HINT}`;
  if (isNpy(bytes)) throw new DataError(`${file} is a single .npy array, not an .npz archive of ${NPZ_KEYS.join(', ')}`, SAVE_HINT);
  if (!(bytes[0] === 0x50 && bytes[1] === 0x4b)) throw new DataError(`${file} is not an .npz (zip) archive`, damaged);
  const wanted = new Set(keys.map((k) => `${k}.npy`));
  const names: string[] = [];
  const sizes = new Map<string, number>();
  let members: Record<string, Uint8Array>;
  try {
    members = unzipSync(bytes, {
      filter: (f) => {
        // fflate takes the entry count from the (possibly corrupt) end record: bound it by the bytes.
        if (names.length >= bytes.length / MIN_ENTRY) throw new DataError(`${file}: corrupt zip directory (more entries than the file can hold)`, damaged);
        names.push(f.name);
        if (!wanted.has(f.name)) return false;
        const plausible =
          f.size <= bytes.length &&
          (f.compression === 0 ? f.originalSize === f.size : f.compression === 8 && f.originalSize <= f.size * MAX_RATIO + 1024);
        if (!plausible) {
          throw new DataError(`${file}: corrupt zip entry ${f.name} (${f.size} bytes stored, ${f.originalSize} claimed, method ${f.compression})`, damaged);
        }
        sizes.set(f.name, f.originalSize);
        return true;
      },
    });
  } catch (e) {
    if (e instanceof DataError) throw e;
    throw new DataError(`${file}: corrupt or truncated zip archive (${e instanceof Error ? e.message : String(e)})`, damaged);
  }
  const out = new Map<string, NpyArray>();
  for (const key of keys) {
    const member = members[`${key}.npy`];
    if (member === undefined) continue;
    const where = `${file}: ${key}`;
    if (member.length !== sizes.get(`${key}.npy`)) {
      throw new DataError(`${where}: corrupt or truncated (${member.length} of ${sizes.get(`${key}.npy`)} bytes)`, damaged);
    }
    out.set(key, parseNpy(member, where));
  }
  if (out.size < keys.length) {
    const missing = keys.filter((k) => !out.has(k));
    const held = names.map((n) => n.replace(/\.npy$/, ''));
    throw new DataError(
      `${file} has no ${missing.join(', ')} (it holds ${held.length > 0 ? held.join(', ') : 'nothing'}); expected ${keys.join(', ')}`,
      SAVE_HINT,
    );
  }
  return out;
}

/**
 * Load an .npz dataset: `file` read through `readFile`, its four arrays checked against each other.
 * `source` (the folder, URL...) words messages. Class names come from a classes.txt beside the archive,
 * else '0'..'K-1'. Shape [H, W, C] (C = 1 for N x H x W images); labels become a Uint32Array.
 */
export async function loadNpz(readFile: ReadFile, source: string, file: string): Promise<LoadedDataset> {
  const found = await readFirst(readFile, [file], source);
  if (found === undefined) throw new DataError(`${inSource(file, source)} does not exist`, SAVE_HINT);
  const bytes = found.bytes;
  const where = inSource(file, source);
  const arrays = parseNpz(bytes, where, NPZ_KEYS);
  const get = (k: NpzKey) => arrays.get(k)!;
  const train = split(get('x_train'), get('y_train'), 'x_train', 'y_train', where);
  const test = split(get('x_test'), get('y_test'), 'x_test', 'y_test', where);
  if (train.shape.join('x') !== test.shape.join('x')) {
    throw new DataError(
      `${where}: x_test images are ${test.shape.join('x')}, but x_train's are ${train.shape.join('x')}`,
      'The training and test images must have the same height, width and channels; resize or re-export one of them.',
    );
  }
  const shape = train.shape;
  const { classes, classesFrom } = await resolveClasses({
    readFile,
    source,
    shape,
    train: { labels: train.labels, file: `y_train of ${file}` },
    test: { labels: test.labels, file: `y_test of ${file}` },
  });
  return {
    train: { images: train.images, labels: train.labels },
    test: { images: test.images, labels: test.labels },
    shape,
    classes,
    source,
    format: 'npz',
    files: [file],
    classesFrom,
  };
}

function split(x: NpyArray, y: NpyArray, xKey: string, yKey: string, where: string) {
  const n = x.shape[0];
  if (!(x.shape.length === 3 || x.shape.length === 4) || x.shape.slice(1).some((d) => d === 0)) {
    throw new DataError(
      `${where}: ${xKey} has shape (${x.shape.join(', ')}); images must be N x H x W or N x H x W x C`,
      `Reshape it before saving, e.g. ${xKey}.reshape(-1, 28, 28) for flat 784-value rows.`,
    );
  }
  let images: Uint8Array<ArrayBuffer> | Float32Array<ArrayBuffer>;
  if (x.dtype === 'u1') images = new Uint8Array(x.data);
  else if (x.dtype === 'f4' || x.dtype === 'f8') images = npyToFloat32(x);
  else {
    throw new DataError(`${where}: ${xKey} has dtype ${x.dtype}; images must be uint8 or float32`, `Convert it before saving: ${xKey}.astype('uint8') for 0-255 pixels, else ${xKey}.astype('float32').`);
  }
  if (!(y.shape.length === 1 || (y.shape.length === 2 && y.shape[1] === 1))) {
    throw new DataError(`${where}: ${yKey} has shape (${y.shape.join(', ')}); labels must be (N,) or (N, 1) class numbers`, `Save class numbers, e.g. ${yKey}.argmax(axis=1) for one-hot labels.`);
  }
  if (y.dtype === 'f4' || y.dtype === 'f8') {
    throw new DataError(`${where}: ${yKey} has dtype ${y.dtype}; labels must be integers`, `Convert them before saving: ${yKey}.astype('int64').`);
  }
  if (y.shape[0] !== n) {
    throw new DataError(`${where}: ${xKey} has ${n} images but ${yKey} has ${y.shape[0]} labels`, 'Every image needs exactly one label; save matching arrays.');
  }
  const labels = npyToWhole(y, (i, v) => new DataError(`${where}: ${yKey} label ${v} at index ${i} is not a class number (0 to 2^32 - 1)`, 'Labels must be 0 .. classes - 1.'));
  const shape: [number, number, number] = [x.shape[1]!, x.shape[2]!, x.shape[3] ?? 1];
  return { images, labels, shape };
}
