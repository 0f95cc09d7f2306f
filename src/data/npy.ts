/**
 * NumPy's `.npy` array format (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html):
 * the magic `\x93NUMPY`, a version (1.0, 2.0 or 3.0), a little-endian header length (2 bytes in
 * version 1, 4 after), a Python dict literal `{'descr': '<u1', 'fortran_order': False, 'shape': (60000, 28, 28), }`,
 * then the values. We read the numeric little-endian dtypes in C order, which is what image datasets
 * use; everything else is a DataError that says how to convert the array.
 */
import { DataError } from '../errors';

/** The numeric dtypes we read, by NumPy's kind and size (e.g. 'u1' is uint8, 'i8' int64, 'f4' float32). */
export type NpyDtype = 'u1' | 'i1' | 'u2' | 'i2' | 'u4' | 'i4' | 'u8' | 'i8' | 'f4' | 'f8';

const SIZES: Record<NpyDtype, number> = { u1: 1, i1: 1, u2: 2, i2: 2, u4: 4, i4: 4, u8: 8, i8: 8, f4: 4, f8: 8 };
const NON_NUMERIC: Record<string, string> = {
  U: 'unicode strings', S: 'byte strings', a: 'byte strings', O: 'Python objects', V: 'raw or structured records',
  M: 'datetimes', m: 'timedeltas', b: 'booleans', c: 'complex numbers',
};

/** A parsed array: its dtype, shape, and its values as little-endian bytes (a view of the input). */
export interface NpyArray {
  dtype: NpyDtype;
  shape: number[];
  /** The number of values: the product of `shape` (1 for a scalar). */
  size: number;
  data: Uint8Array;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** True when the bytes start like an .npy file. */
export function isNpy(bytes: Uint8Array): boolean {
  return MAGIC.every((b, i) => bytes[i] === b);
}

/** Parse one .npy file; `file` names it in messages. The data must be exactly as long as the header says. */
export function parseNpy(bytes: Uint8Array, file: string): NpyArray {
  const damaged = 'The file is damaged or not a NumPy .npy array; save it again with numpy.save or numpy.savez.';
  if (!isNpy(bytes)) throw new DataError(`${file}: not a NumPy .npy array (no \\x93NUMPY magic)`, damaged);
  if (bytes.length < 10) throw new DataError(`${file}: truncated .npy header (${bytes.length} bytes)`, damaged);
  const major = bytes[6]!;
  if (major < 1 || major > 3) {
    throw new DataError(`${file}: .npy format version ${major}.${bytes[7]} is not one we read (1.0, 2.0, 3.0)`, 'Save it with a current NumPy (numpy.save).');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lengthBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lengthBytes) throw new DataError(`${file}: truncated .npy header (${bytes.length} bytes)`, damaged);
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = 8 + lengthBytes;
  const dataStart = start + headerLength;
  if (bytes.length < dataStart) {
    throw new DataError(`${file}: truncated .npy header (header of ${headerLength} bytes, only ${bytes.length - start} present)`, damaged);
  }
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(start, dataStart));
  const { dtype, shape } = parseHeader(header, file, damaged);
  const size = shape.reduce((a, b) => a * b, 1);
  const expected = size * SIZES[dtype];
  const actual = bytes.length - dataStart;
  if (actual !== expected) {
    const what = `shape (${shape.join(', ')}) of ${dtype} = ${expected} bytes`;
    throw new DataError(
      actual < expected
        ? `${file}: truncated: the header says ${what}, but only ${actual} are present`
        : `${file}: ${actual - expected} unexpected bytes after the ${what}`,
      damaged,
    );
  }
  return { dtype, shape, size, data: bytes.subarray(dataStart) };
}

function parseHeader(header: string, file: string, damaged: string): { dtype: NpyDtype; shape: number[] } {
  const descr = /['"]descr['"]\s*:\s*(?:'([^']*)'|"([^"]*)"|(\[))/.exec(header);
  if (!descr) throw new DataError(`${file}: malformed .npy header (no 'descr'): ${quote(header)}`, damaged);
  if (descr[3]) {
    throw new DataError(`${file}: the array has a structured (record) dtype, not numbers`, "Save a plain numeric array, e.g. arr.astype('float32').");
  }
  const dtype = parseDescr((descr[1] ?? descr[2])!, file);
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(header);
  if (!fortran) throw new DataError(`${file}: malformed .npy header (no 'fortran_order'): ${quote(header)}`, damaged);
  if (fortran[1] === 'True') {
    throw new DataError(`${file}: the array is stored in Fortran (column-major) order; only C order is read`, 'Save it in C order: numpy.save(path, numpy.ascontiguousarray(arr)).');
  }
  const shapeText = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(header);
  if (!shapeText) throw new DataError(`${file}: malformed .npy header (no 'shape'): ${quote(header)}`, damaged);
  const parts = shapeText[1]!.split(',').map((s) => s.trim());
  if (parts[parts.length - 1] === '') parts.pop();
  const shape = parts.map((p) => (/^\d+L?$/.test(p) ? Number.parseInt(p, 10) : NaN));
  if (!shape.every((d) => Number.isSafeInteger(d))) throw new DataError(`${file}: malformed .npy shape (${shapeText[1]})`, damaged);
  return { dtype, shape };
}

function parseDescr(descr: string, file: string): NpyDtype {
  const m = /^([<>|=]?)([a-zA-Z])(\d*)$/.exec(descr);
  const kind = m?.[2] ?? '';
  if (m === null || NON_NUMERIC[kind] !== undefined) {
    const what = NON_NUMERIC[kind] ?? 'not a plain number type';
    throw new DataError(
      `${file}: dtype '${descr}' (${what}) is not numeric`,
      "Images must be uint8 or float32 and labels integers: convert before saving, e.g. x.astype('uint8'), y.astype('int64').",
    );
  }
  const dtype = `${kind}${m[3]}`;
  if (!(dtype in SIZES)) {
    throw new DataError(`${file}: dtype '${descr}' is not one we read (u1, i1, u2, i2, u4, i4, u8, i8, f4, f8)`, "Convert it before saving, e.g. x.astype('float32').");
  }
  if (m[1] === '>' && SIZES[dtype as NpyDtype] > 1) {
    throw new DataError(`${file}: dtype '${descr}' is big-endian; only little-endian is read`, `Convert it before saving: arr.astype('<${dtype}').`);
  }
  return dtype as NpyDtype;
}

function quote(header: string): string {
  const h = header.trim();
  return JSON.stringify(h.length > 80 ? `${h.slice(0, 80)}…` : h);
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The values as float32 (f4 copied, f8 narrowed; other dtypes refused by the caller). */
export function npyToFloat32(a: NpyArray): Float32Array<ArrayBuffer> {
  if (a.dtype === 'f4' && LITTLE_ENDIAN) return new Float32Array(a.data.slice().buffer);
  const v = new DataView(a.data.buffer, a.data.byteOffset, a.data.byteLength);
  const out = new Float32Array(a.size);
  const step = SIZES[a.dtype];
  for (let i = 0; i < a.size; i++) out[i] = a.dtype === 'f4' ? v.getFloat32(i * step, true) : v.getFloat64(i * step, true);
  return out;
}

/**
 * Integer values as non-negative whole numbers; `what(i, value)` words the DataError for a value that
 * is negative or above 2^32 - 1. Float dtypes are the caller's to refuse.
 */
export function npyToWhole(a: NpyArray, bad: (index: number, value: string) => DataError): Uint32Array<ArrayBuffer> {
  const v = new DataView(a.data.buffer, a.data.byteOffset, a.data.byteLength);
  const out = new Uint32Array(a.size);
  const signed = a.dtype.startsWith('i');
  const step = SIZES[a.dtype];
  for (let i = 0; i < a.size; i++) {
    const at = i * step;
    let x: number;
    let hi = 0;
    switch (step) {
      case 1: x = signed ? v.getInt8(at) : v.getUint8(at); break;
      case 2: x = signed ? v.getInt16(at, true) : v.getUint16(at, true); break;
      case 4: x = signed ? v.getInt32(at, true) : v.getUint32(at, true); break;
      default:
        x = v.getUint32(at, true);
        hi = signed ? v.getInt32(at + 4, true) : v.getUint32(at + 4, true);
    }
    if (x < 0 || hi !== 0) {
      const value = step === 8 ? (signed ? v.getBigInt64(at, true) : v.getBigUint64(at, true)).toString() : String(x);
      throw bad(i, value);
    }
    out[i] = x;
  }
  return out;
}
