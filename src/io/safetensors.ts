import { DataError } from '../errors';

/**
 * The safetensors format (https://huggingface.co/docs/safetensors): an 8-byte little-endian header
 * length, a JSON header mapping tensor names to {dtype, shape, data_offsets}, then the raw
 * little-endian data. Readable by PyTorch, JAX, NumPy and others. We store only F32 tensors.
 */

/** One tensor of a safetensors file (e.g. a PyTorch state-dict entry): f32 values, row-major in `shape`. */
export interface NamedTensor {
  readonly name: string;
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

export interface SafetensorsFile {
  readonly tensors: ReadonlyMap<string, NamedTensor>;
  readonly metadata: Readonly<Record<string, string>>;
}

const MAX_HEADER_BYTES = 100 * 1024 * 1024;

export function encodeSafetensors(tensors: readonly NamedTensor[], metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const t of tensors) {
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) throw new Error(`safetensors: ${t.name} has shape [${t.shape}] but ${t.data.length} values`);
    header[t.name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  // Pad the header with spaces so the data starts 8-byte aligned, as the reference writer does.
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + json.length) % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const t of tensors) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
    at += t.data.byteLength;
  }
  return out;
}

/** `hint` is what the caller's user should do instead (each kind of file has its own fix). */
export function decodeSafetensors(bytes: Uint8Array, file: string, hint: string): SafetensorsFile {
  const bad = (what: string) => new DataError(`${file} is not a valid safetensors file: ${what}.`, hint);
  if (bytes.length < 8) throw bad(`only ${bytes.length} bytes`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (headerLength > MAX_HEADER_BYTES || 8 + headerLength > bytes.length) throw bad(`its header says ${headerLength} bytes, the file has ${bytes.length - 8}`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLength)));
  } catch {
    throw bad('its header is not JSON');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw bad('its header is not a JSON object');
  const dataStart = 8 + headerLength;
  const dataBytes = bytes.length - dataStart;
  const tensors = new Map<string, NamedTensor>();
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof entry !== 'object' || entry === null) throw bad('__metadata__ is not an object');
      metadata = Object.fromEntries(Object.entries(entry).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
      continue;
    }
    if (typeof entry !== 'object' || entry === null) throw bad(`tensor '${name}' has no description`);
    const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (e.dtype !== 'F32') throw bad(`tensor '${name}' has dtype ${String(e.dtype)}; only F32 is supported`);
    if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isInteger(d) && d >= 0)) throw bad(`tensor '${name}' has no valid shape`);
    const offsets = e.data_offsets;
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isInteger(o) && o >= 0)) throw bad(`tensor '${name}' has no valid data_offsets`);
    const [begin, end] = offsets as [number, number];
    const count = (e.shape as number[]).reduce((a, b) => a * b, 1);
    if (end < begin || end > dataBytes) throw bad(`tensor '${name}' lies outside the file (truncated?)`);
    if (end - begin !== count * 4) throw bad(`tensor '${name}' has ${end - begin} bytes for shape [${e.shape}]`);
    const data = new Float32Array(count);
    new Uint8Array(data.buffer).set(bytes.subarray(dataStart + begin, dataStart + end));
    tensors.set(name, { name, shape: e.shape as number[], data });
  }
  return { tensors, metadata };
}
