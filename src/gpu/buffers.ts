import type { Gpu } from './device';
import type { Binding } from './kernel';

const STORAGE = () => GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

/** A storage buffer of `bytes` (rounded up to 4), optionally filled from `data`. */
export function storageBuffer(gpu: Gpu, label: string, bytes: number, data?: ArrayBufferView): GPUBuffer {
  const size = Math.max(4, Math.ceil(bytes / 4) * 4);
  const buffer = gpu.scoped(`allocating '${label}' (${mebibytes(size)})`, () => gpu.device.createBuffer({ label, size, usage: STORAGE() }));
  if (data) writeBuffer(gpu, buffer, data);
  return buffer;
}

/** A storage buffer holding `data`. */
export function bufferFrom(gpu: Gpu, label: string, data: Float32Array | Uint32Array | Int32Array): GPUBuffer {
  return storageBuffer(gpu, label, data.byteLength, data);
}

/** A small uniform buffer for per-step parameters (e.g. the Adam step), written with `writeBuffer`. */
export function uniformBuffer(gpu: Gpu, label: string, bytes: number): GPUBuffer {
  return gpu.device.createBuffer({ label, size: Math.ceil(bytes / 16) * 16, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
}

export function writeBuffer(gpu: Gpu, target: Binding, data: ArrayBufferView, byteOffset = 0): void {
  const { buffer, offset } = asRange(target);
  // writeBuffer needs a multiple of 4 bytes; pad the tail of byte data.
  const bytes = new Uint8Array(data.buffer as ArrayBuffer, data.byteOffset, data.byteLength);
  const padded = bytes.byteLength % 4 === 0 ? bytes : padTo4(bytes);
  gpu.device.queue.writeBuffer(buffer, offset + byteOffset, padded);
}

/** Copies `target` back to the CPU. For tests and once-per-epoch reads only: it waits for the GPU. */
export async function readBytes(gpu: Gpu, target: Binding, bytes?: number): Promise<ArrayBuffer> {
  const { buffer, offset, size } = asRange(target);
  const length = bytes ?? size;
  const staging = gpu.device.createBuffer({ size: Math.ceil(length / 4) * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const encoder = gpu.device.createCommandEncoder();
  encoder.copyBufferToBuffer(buffer, offset, staging, 0, Math.ceil(length / 4) * 4);
  gpu.device.queue.submit([encoder.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const copy = staging.getMappedRange().slice(0, length);
  staging.unmap();
  staging.destroy();
  return copy;
}

export async function readF32(gpu: Gpu, target: Binding, count?: number): Promise<Float32Array> {
  return new Float32Array(await readBytes(gpu, target, count === undefined ? undefined : count * 4));
}

export async function readU32(gpu: Gpu, target: Binding, count?: number): Promise<Uint32Array> {
  return new Uint32Array(await readBytes(gpu, target, count === undefined ? undefined : count * 4));
}

export function mebibytes(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

function asRange(b: Binding): { buffer: GPUBuffer; offset: number; size: number } {
  if ('usage' in b) return { buffer: b, offset: 0, size: b.size };
  const offset = b.offset ?? 0;
  return { buffer: b.buffer, offset, size: b.size ?? b.buffer.size - offset };
}

function padTo4(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(Math.ceil(bytes.byteLength / 4) * 4);
  out.set(bytes);
  return out;
}
