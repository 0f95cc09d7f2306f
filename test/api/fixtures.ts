/**
 * Shared inputs of the public-API tests: a seeded generator, small synthetic image sets whose class
 * is easy to learn, and the small models that learn them. Everything here is deterministic: the same
 * seed gives the same bytes, so a training run is the same run every time.
 */
import { expect } from 'vitest';
import { Conv2d, Dense, Dropout, Flatten, MaxPool2d, Sequential, WgmlError, type DatasetArrays, type Layer } from '../../src/index';

/** mulberry32: uniform in [0, 1) from a 32-bit seed. */
export function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The example shape of the synthetic images: 8 x 8 RGB. */
export const SIDE = 8;
export const SHAPE = [SIDE, SIDE, 3] as const;
export const PIXELS = SIDE * SIDE * 3;
/** Four classes: the quadrant the square is in. */
export const CLASSES = ['top-left', 'top-right', 'bottom-left', 'bottom-right'] as const;

/**
 * `count` 8 x 8 RGB images of a bright 3 x 3 square of a random colour on dim noise; the label is the
 * quadrant the square is in (its exact spot inside the quadrant jitters by one pixel). No pixel
 * array is ever all zeros: the noise background is 10..70 and the square 140..255 per channel.
 */
export function squares(count: number, seed: number): { images: Uint8Array<ArrayBuffer>; labels: Uint32Array<ArrayBuffer> } {
  const rnd = seeded(seed);
  const images = new Uint8Array(count * PIXELS);
  const labels = new Uint32Array(count);
  for (let i = 0; i < count; i++) {
    const label = Math.floor(rnd() * 4);
    labels[i] = label;
    const top = (label >> 1) * 4 + Math.floor(rnd() * 2);
    const left = (label & 1) * 4 + Math.floor(rnd() * 2);
    const colour = [0, 1, 2].map(() => 140 + Math.floor(rnd() * 116));
    const base = i * PIXELS;
    for (let p = 0; p < PIXELS; p++) images[base + p] = 10 + Math.floor(rnd() * 61);
    for (let y = top; y < top + 3; y++) {
      for (let x = left; x < left + 3; x++) {
        for (let c = 0; c < 3; c++) images[base + (y * SIDE + x) * 3 + c] = colour[c]!;
      }
    }
  }
  return { images, labels };
}

/** A training and a test set of squares, as createDataset takes them. */
export function squareArrays(train: number, test: number, seed = 1): DatasetArrays {
  return { train: squares(train, seed), test: squares(test, seed + 1000), shape: [...SHAPE], classes: [...CLASSES], source: 'squares' };
}

/** conv (same) + pool + dense: 4 filters, 112 + 260 parameters; with `dropout`, a Dropout after the conv. */
export function tinyCnn(name = 'tiny-cnn', options: { dropout?: number } = {}): Sequential {
  const layers: Layer[] = [new Conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' })];
  if (options.dropout !== undefined) layers.push(new Dropout({ rate: options.dropout }));
  layers.push(new MaxPool2d({ poolSize: 2 }), new Flatten(), new Dense({ units: CLASSES.length, activation: 'softmax' }));
  return new Sequential({ name, input: [...SHAPE], layers });
}

/** The index of the largest value of each row of a [rows, cols] matrix. */
export function argmaxRows(values: Float32Array, cols: number): number[] {
  const out: number[] = [];
  for (let r = 0; r * cols < values.length; r++) {
    let best = 0;
    for (let c = 1; c < cols; c++) if (values[r * cols + c]! > values[r * cols + best]!) best = c;
    out.push(best);
  }
  return out;
}

/** Byte-for-byte equality of two float arrays (NaN patterns and signed zeros included). */
export function sameBits(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  return x.every((v, i) => v === y[i]);
}

type ErrorClass = abstract new (...args: never[]) => Error;

/** Runs `fn` and returns what it threw; fails the test if it returned. */
export function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw, but the call returned');
}

/** `fn()` throws an instance of `kind` (a WgmlError subclass) whose message matches every pattern. */
export function expectThrows(fn: () => unknown, kind: ErrorClass, ...patterns: RegExp[]): void {
  const e = thrown(fn);
  expectError(e, kind, ...patterns);
}

/** `promise` rejects with an instance of `kind` whose message matches every pattern. */
export async function expectRejects(promise: Promise<unknown>, kind: ErrorClass, ...patterns: RegExp[]): Promise<void> {
  let error: unknown;
  try {
    await promise;
  } catch (e) {
    error = e;
  }
  expect(error, 'expected a rejection').toBeDefined();
  expectError(error, kind, ...patterns);
}

function expectError(e: unknown, kind: ErrorClass, ...patterns: RegExp[]): void {
  expect(e, `threw ${String(e)}`).toBeInstanceOf(kind);
  expect(e).toBeInstanceOf(WgmlError);
  for (const p of patterns) expect((e as Error).message).toMatch(p);
}

/** A safetensors file's JSON header and where its data starts. */
export function readHeader(bytes: Uint8Array): { header: Record<string, unknown>; dataStart: number } {
  const length = Number(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true));
  return { header: JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + length))) as Record<string, unknown>, dataStart: 8 + length };
}

/** A safetensors file made of `header` (any JSON value, or raw text) and `data`, with a correct length prefix. */
export function safetensorsBytes(header: unknown, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const text = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + text.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(text.length), true);
  out.set(text, 8);
  out.set(data, 8 + text.length);
  return out;
}

/** `bytes` (a safetensors file) with its header edited by `edit`, the tensor data unchanged. */
export function editHeader(bytes: Uint8Array, edit: (header: Record<string, unknown>) => void): Uint8Array {
  const { header, dataStart } = readHeader(bytes);
  edit(header);
  return safetensorsBytes(header, bytes.subarray(dataStart));
}

/** The `__metadata__` of a safetensors header. */
export const metadataOf = (header: Record<string, unknown>) => header.__metadata__ as Record<string, string>;

/** `bytes` (a safetensors file) with tensor `name`'s values replaced by `values` (same count). */
export function withTensor(bytes: Uint8Array, name: string, values: Float32Array): Uint8Array {
  const { header, dataStart } = readHeader(bytes);
  const entry = header[name] as { data_offsets: [number, number] } | undefined;
  if (!entry) throw new Error(`no tensor ${name}`);
  const [begin, end] = entry.data_offsets;
  if (end - begin !== values.byteLength) throw new Error(`${name} holds ${(end - begin) / 4} values, not ${values.length}`);
  const out = bytes.slice();
  out.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength), dataStart + begin);
  return out;
}

/** Tensor `name` of a safetensors file, as floats. */
export function tensorOf(bytes: Uint8Array, name: string): Float32Array {
  const { header, dataStart } = readHeader(bytes);
  const [begin, end] = (header[name] as { data_offsets: [number, number] }).data_offsets;
  return new Float32Array(bytes.slice(dataStart + begin, dataStart + end).buffer);
}
