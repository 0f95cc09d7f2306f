import { requestGpu, describeGpu, type Gpu } from '../gpu/device';
import type { FashionMnist } from '../data/fashion-mnist';
import { loadFashionMnistFromDisk } from '../data/locate-node';

/** Shared plumbing of the commands: data first (bad input fails before any GPU work), then the GPU. */

export async function loadData(dir: string | undefined, log: (line: string) => void): Promise<FashionMnist> {
  const data = await loadFashionMnistFromDisk(dir === undefined ? {} : { dir });
  log(`data: ${data.source} (${data.train.count.toLocaleString('en-US')} train, ${data.test.count.toLocaleString('en-US')} test)`);
  return data;
}

/** Runs `body` with a GPU and always releases it (device first), so the process can exit cleanly. */
export async function withGpu<T>(log: (line: string) => void, body: (gpu: Gpu) => Promise<T>): Promise<T> {
  const gpu = await requestGpu();
  log(`adapter: ${describeGpu(gpu)}`);
  try {
    return await body(gpu);
  } finally {
    gpu.release();
  }
}

export const log = (line: string): void => {
  process.stdout.write(`${line}\n`);
};
