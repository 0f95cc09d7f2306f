import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { defaultDevice, getWebGPUDevice, init } from '@jax-js/jax';
import { describeAdapterInfo, installNavigatorGpu } from '../peers/dawn';

/**
 * jax-js's devices in Node: 'webgpu' on Dawn (the same `webgpu` package and adapter wgml uses) and
 * 'wasm' (jax-js's own generated WebAssembly kernels).
 *
 * jax-js looks for WebGPU at `navigator.gpu`, as in a browser; bench/peers/dawn.ts puts a Dawn
 * instance there and holds it, and the adapter jax-js requests, for the life of the process (jax-js
 * keeps its device but drops the adapter, and Dawn crashes when an adapter is collected under a
 * live device). jax-js initialises a device once per process and has no way to end it:
 * `releaseJaxjs()` destroys its WebGPU device at the end, after which it cannot be used again.
 * Its wasm device runs on worker threads only where a Web `Worker` exists; Node has none, so it
 * runs on this thread.
 */

export type JaxjsDevice = 'webgpu' | 'wasm';

export interface DeviceInfo {
  device: JaxjsDevice;
  /** Adapter description (webgpu), or how the wasm code runs. */
  adapter: string;
}

let released = false;

/** Initialises `device` (once) and makes it jax-js's default device, where new arrays are made and jitted steps run. */
export async function useDevice(device: JaxjsDevice): Promise<DeviceInfo> {
  if (device === 'webgpu') {
    if (released) throw new Error('jax-js\'s WebGPU device was released, and jax-js cannot start another in this process.');
    await installNavigatorGpu();
  }
  const available = await init(device);
  if (!available.includes(device)) throw new Error(`jax-js could not initialise its ${device} device${device === 'webgpu' ? ' on Dawn' : ''}.`);
  defaultDevice(device);
  if (device === 'webgpu') return { device, adapter: describeAdapterInfo((getWebGPUDevice() as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo) };
  const threads = typeof SharedArrayBuffer !== 'undefined' && typeof (globalThis as { Worker?: unknown }).Worker !== 'undefined';
  return { device, adapter: `wasm simd${threads ? ', worker threads' : ', 1 thread'}` };
}

/** Destroys jax-js's WebGPU device, if it made one; call once, when done with jax-js. */
export function releaseJaxjs(): void {
  if (released) return;
  released = true;
  try {
    getWebGPUDevice().destroy();
  } catch {
    // jax-js never initialised WebGPU: nothing to release.
  }
}

/** The installed @jax-js/jax's version (its package.json is not among the package's exports). */
export function jaxjsVersion(): string {
  const require = createRequire(import.meta.url);
  const entry = require.resolve('@jax-js/jax');
  const pkg = JSON.parse(readFileSync(new URL('../package.json', `file://${entry}`), 'utf8')) as { version: string };
  return pkg.version;
}
