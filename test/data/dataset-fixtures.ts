/** Synthetic CIFAR, .npy and .npz files for the dataset-reader tests (made in memory; never committed data). */
import { zipSync } from 'fflate';
import { expect } from 'vitest';
import { DataError, WgmlError } from '../../src/errors';

/** A ReadFile over an in-memory folder. */
export const memory = (files: Map<string, Uint8Array>) => async (name: string) => files.get(name);

/** Resolves to the DataError `p` rejects with; fails if it resolves or rejects with anything else. */
export async function dataError(p: Promise<unknown>): Promise<DataError> {
  const e = await p.then(() => undefined, (err: unknown) => err);
  expect(e).toBeInstanceOf(DataError);
  return e as DataError;
}

/** The message without the hint WgmlError appends. */
export const firstLine = (e: Error) => e.message.split('\n')[0]!;

/** Whether `p` settles (resolved, or rejected with a WgmlError) within `ms`; anything else is returned as a problem. */
export async function settlesCleanly(p: Promise<unknown>, ms = 10_000): Promise<string | null> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<string>((res) => (timer = setTimeout(() => res(`did not settle within ${ms} ms`), ms)));
  const outcome = p.then(
    () => null,
    (e: unknown) => (e instanceof WgmlError ? null : `threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`),
  );
  try {
    return await Promise.race([outcome, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

// ---- CIFAR ----------------------------------------------------------------------------------------

/** The value of channel `c` at row `y`, column `x` of example `n`: distinct enough to catch a transposition. */
export function cifarPixel(n: number, c: number, y: number, x: number): number {
  return (n * 37 + c * 85 + y * 7 + x * 3) & 0xff;
}

/**
 * A CIFAR binary file: per record the label byte(s) then the pixels channel-major (1024 R, G, B),
 * each plane row-major, with cifarPixel(first + i, ...) values.
 */
export function cifarFile(labels: number[], variant: 'cifar-10' | 'cifar-100', first = 0, coarse?: number[]): Uint8Array {
  const labelBytes = variant === 'cifar-10' ? 1 : 2;
  const record = labelBytes + 3072;
  const out = new Uint8Array(labels.length * record);
  labels.forEach((label, i) => {
    const at = i * record;
    if (variant === 'cifar-10') out[at] = label;
    else {
      out[at] = coarse?.[i] ?? label % 20;
      out[at + 1] = label;
    }
    for (let c = 0; c < 3; c++) for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) out[at + labelBytes + c * 1024 + y * 32 + x] = cifarPixel(first + i, c, y, x);
  });
  return out;
}

/** CIFAR-10 with `perBatch` records in each of the five training files and `test` test records; labels cycle 0..9. */
export function cifar10Files(perBatch: number, test: number): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  for (let b = 0; b < 5; b++) {
    const labels = Array.from({ length: perBatch }, (_, i) => (b * perBatch + i) % 10);
    files.set(`data_batch_${b + 1}.bin`, cifarFile(labels, 'cifar-10', b * perBatch));
  }
  files.set('test_batch.bin', cifarFile(Array.from({ length: test }, (_, i) => (i * 3) % 10), 'cifar-10', 1000));
  return files;
}

// ---- .npy / .npz ----------------------------------------------------------------------------------

type Typed = Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | BigInt64Array | BigUint64Array | Float32Array | Float64Array;

export function descrOf(a: Typed): string {
  if (a instanceof Uint8Array) return '|u1';
  if (a instanceof Int8Array) return '|i1';
  if (a instanceof Uint16Array) return '<u2';
  if (a instanceof Int16Array) return '<i2';
  if (a instanceof Uint32Array) return '<u4';
  if (a instanceof Int32Array) return '<i4';
  if (a instanceof BigInt64Array) return '<i8';
  if (a instanceof BigUint64Array) return '<u8';
  if (a instanceof Float32Array) return '<f4';
  return '<f8';
}

/**
 * A tiny .npy writer: magic, version, header length, the dict literal padded with spaces and a newline
 * so the data starts on a 64-byte boundary (as NumPy does), then `data` (little-endian on this host).
 */
export function npyBytes(
  descr: string,
  shape: number[],
  data: Uint8Array,
  { version = 1, fortran = false }: { version?: 1 | 2 | 3; fortran?: boolean } = {},
): Uint8Array {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': ${fortran ? 'True' : 'False'}, 'shape': ${shapeText}, }`;
  const prefix = 8 + (version === 1 ? 2 : 4);
  const total = Math.ceil((prefix + header.length + 1) / 64) * 64;
  header = header.padEnd(total - prefix - 1, ' ') + '\n';
  const head = new TextEncoder().encode(header);
  const out = new Uint8Array(prefix + head.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const v = new DataView(out.buffer);
  if (version === 1) v.setUint16(8, head.length, true);
  else v.setUint32(8, head.length, true);
  out.set(head, prefix);
  out.set(data, prefix + head.length);
  return out;
}

/** An .npy of a typed array with the given shape. */
export function npy(a: Typed, shape: number[], options?: { version?: 1 | 2 | 3; fortran?: boolean }): Uint8Array {
  return npyBytes(descrOf(a), shape, new Uint8Array(a.buffer, a.byteOffset, a.byteLength), options);
}

/** An .npz: each array as `<key>.npy`, stored (level 0) or deflated, per member. */
export function npz(members: Record<string, Uint8Array | [Uint8Array, 'stored' | 'deflated']>, mode: 'stored' | 'deflated' = 'deflated'): Uint8Array {
  const entries = Object.entries(members).map(([key, m]) => {
    const [bytes, how] = Array.isArray(m) ? m : [m, mode];
    return [`${key}.npy`, [bytes, { level: how === 'stored' ? 0 : 6 }]] as const;
  });
  return zipSync(Object.fromEntries(entries) as Parameters<typeof zipSync>[0]);
}

/** A valid small dataset .npz: uint8 N x H x W images, int64 labels of shape [N, 1]. */
export function smallNpz(mode: 'stored' | 'deflated' = 'deflated'): Uint8Array {
  const x = (n: number) => Uint8Array.from({ length: n * 4 * 5 }, (_, i) => (i * 7) & 0xff);
  return npz(
    {
      x_train: npy(x(6), [6, 4, 5]),
      y_train: npy(BigInt64Array.from([0n, 1n, 2n, 3n, 4n, 5n]), [6, 1]),
      x_test: npy(x(2), [2, 4, 5]),
      y_test: npy(BigInt64Array.from([5n, 0n]), [2, 1]),
    },
    mode,
  );
}
