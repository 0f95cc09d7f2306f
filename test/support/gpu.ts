import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { requestGpu, type Gpu } from '../../src/gpu/device';
import { storageBuffer } from '../../src/gpu/buffers';

/**
 * One device per test file, acquired before its tests and released (device first) after them.
 * No adapter means the file fails: GPU tests never skip.
 */
export function useGpu(): () => Gpu {
  let gpu: Gpu | undefined;
  const errors: string[] = [];
  beforeAll(async () => {
    gpu = await requestGpu();
    gpu.device.addEventListener('uncapturederror', (e) => errors.push((e as GPUUncapturedErrorEvent).error.message));
  });
  afterEach(() => {
    expect(errors.splice(0), 'uncaptured GPU errors').toEqual([]);
  });
  afterAll(() => gpu?.release());
  return () => {
    if (!gpu) throw new Error('GPU not acquired yet: call inside a test');
    return gpu;
  };
}

/** A storage buffer of `count` f32 filled with NaN, so any element a kernel fails to write shows up. */
export function poisoned(gpu: Gpu, count: number, label = 'poisoned'): GPUBuffer {
  return storageBuffer(gpu, label, count * 4, new Float32Array(count).fill(Number.NaN));
}

/** Runs `body` inside validation and out-of-memory error scopes and fails on any GPU error. */
export async function checked<T>(gpu: Gpu, body: () => Promise<T>): Promise<T> {
  gpu.device.pushErrorScope('validation');
  gpu.device.pushErrorScope('out-of-memory');
  const result = await body();
  const oom = await gpu.device.popErrorScope();
  const validation = await gpu.device.popErrorScope();
  const err = validation ?? oom;
  if (err) throw new Error(`GPU error: ${err.message}`);
  return result;
}
