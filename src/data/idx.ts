/**
 * The IDX format of MNIST, Fashion-MNIST, KMNIST and EMNIST (http://yann.lecun.com/exdb/mnist/): a big-endian
 * header `00 00 <type> <ndims>`, then ndims big-endian u32 sizes, then the data, row-major.
 * We read only what those datasets use: uint8 images (3 dims) and uint8 labels (1 dim), raw or
 * gzipped. Every problem is a DataError naming the file, since these files come from users' disks
 * and downloads.
 */
import { DataError } from '../errors';
import { gunzip, isGzip } from './gzip';

/** The images of an IDX image file (magic 0x00000803). */
export interface IdxImages {
  /** count x rows x cols bytes, row-major; owns its memory (never a view of the caller's input). */
  images: Uint8Array<ArrayBuffer>;
  count: number;
  rows: number;
  cols: number;
}

/** The labels of an IDX label file (magic 0x00000801). */
export interface IdxLabels {
  labels: Uint8Array<ArrayBuffer>;
  count: number;
}

const UINT8 = 0x08;
/** Names of the IDX data types, for messages. */
const TYPE_NAMES: Record<number, string> = {
  0x08: 'uint8', 0x09: 'int8', 0x0b: 'int16', 0x0c: 'int32', 0x0d: 'float32', 0x0e: 'float64',
};
const DAMAGED = 'The file is damaged or is not an IDX file (the MNIST layout); replace it with a fresh copy.';

/** Parse uint8 images (magic 0x00000803), raw or gzip. */
export async function parseIdxImages(bytes: Uint8Array, file: string): Promise<IdxImages> {
  const { dims, data } = await parseOwned(bytes, file, 3, 'images');
  const [count, rows, cols] = dims as [number, number, number];
  if (rows === 0 || cols === 0) throw new DataError(`${file}: images of size ${rows}x${cols}`, DAMAGED);
  return { images: data, count, rows, cols };
}

/** Parse uint8 labels (magic 0x00000801), raw or gzip. */
export async function parseIdxLabels(bytes: Uint8Array, file: string): Promise<IdxLabels> {
  const { dims, data } = await parseOwned(bytes, file, 1, 'labels');
  return { labels: data, count: dims[0] as number };
}

/**
 * Gunzip when the bytes say so (not by file name: files get renamed and re-compressed), then parse.
 * Gunzipped data is a fresh buffer, so a view of it is ours; raw input is copied so the result never
 * aliases the caller's (possibly pooled or reused) buffer.
 */
async function parseOwned(bytes: Uint8Array, file: string, ndims: number, what: string) {
  if (isGzip(bytes)) return parseIdx(await gunzip(bytes, file), file, ndims, what);
  const { dims, data } = parseIdx(bytes, file, ndims, what);
  return { dims, data: new Uint8Array(data) };
}

/**
 * Parse uncompressed IDX bytes holding uint8 data with `ndims` dimensions; `data` is a view of
 * `bytes`. Exported for callers that already have raw bytes; `what` only words the messages.
 */
export function parseIdx<B extends ArrayBufferLike>(
  bytes: Uint8Array<B>,
  file: string,
  ndims: number,
  what: string,
): { dims: number[]; data: Uint8Array<B> } {
  const magic = ((UINT8 << 8) | ndims).toString(16).padStart(8, '0');
  if (bytes.length < 4) {
    throw new DataError(`${file}: too short to be an IDX file (${bytes.length} bytes)`, DAMAGED);
  }
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new DataError(
      `${file}: not an IDX file: expected magic 0x${magic}, found bytes ${hex(bytes.subarray(0, 4))}${asText(bytes)}`,
      DAMAGED,
    );
  }
  const type = bytes[2] as number;
  if (type !== UINT8) {
    const name = TYPE_NAMES[type] ?? `unknown type 0x${type.toString(16).padStart(2, '0')}`;
    throw new DataError(`${file}: IDX data type is ${name}, expected uint8 ${what}`, DAMAGED);
  }
  if (bytes[3] !== ndims) {
    throw new DataError(
      `${file}: IDX file has ${bytes[3]} dimension(s), expected ${ndims} for ${what} (magic 0x${magic})`,
      DAMAGED,
    );
  }
  const headerLength = 4 + 4 * ndims;
  if (bytes.length < headerLength) {
    throw new DataError(`${file}: truncated IDX header (${bytes.length} of ${headerLength} bytes)`, DAMAGED);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims = Array.from({ length: ndims }, (_, i) => view.getUint32(4 + 4 * i, false));
  // A Number product: huge (corrupt) sizes lose precision but still cannot equal the real length.
  const expected = dims.reduce((a, b) => a * b, 1);
  const actual = bytes.length - headerLength;
  if (actual !== expected) {
    const shape = `${dims.join('x')} = ${expected} bytes`;
    throw new DataError(
      actual < expected
        ? `${file}: truncated: header says ${shape} of ${what}, but only ${actual} present`
        : `${file}: ${actual - expected} unexpected bytes after the ${shape} of ${what}`,
      DAMAGED,
    );
  }
  return { dims, data: bytes.subarray(headerLength) };
}

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
}

/** Show the start as text when it is printable, e.g. an HTML error page saved in place of the file. */
function asText(bytes: Uint8Array): string {
  const head = bytes.subarray(0, 16);
  return head.every((c) => c >= 0x20 && c < 0x7f) ? ` ("${String.fromCharCode(...head)}"…)` : '';
}
