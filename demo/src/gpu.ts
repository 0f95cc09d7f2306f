/**
 * Getting a WebGPU device, naming it, and explaining clearly when there is none.
 */
import { acquireGpu, describeGpu, type Gpu } from '../../src/gpu/device';
import { GpuError } from '../../src/errors';
import { byId, describeError } from './dom';

const GET_WEBGPU =
  'Use a browser with WebGPU: Chrome or Edge 113+, or Safari 26+. In Chromium on Linux, start it with ' +
  '--enable-unsafe-webgpu (or enable chrome://flags/#enable-unsafe-webgpu).';

/**
 * The device, or a GpuError saying why there is none. src/gpu/device.ts decides it is in a browser
 * only when navigator.gpu exists, so without WebGPU it would take its Node path; asking first here
 * turns that into the error a person can act on (including the easily missed secure-context rule).
 */
export async function openGpu(): Promise<Gpu> {
  if (!('gpu' in navigator) || !navigator.gpu) {
    if (!window.isSecureContext) {
      throw new GpuError(
        `This page is not a secure context (${location.origin}), and browsers offer WebGPU only to secure pages.`,
        'Open it over https, or as http://localhost (e.g. `npm run dev` and http://localhost:5173/).',
      );
    }
    throw new GpuError('This browser does not offer WebGPU (navigator.gpu is missing).', GET_WEBGPU);
  }
  return acquireGpu();
}

/** Shows the adapter in use, or the error panel; returns the device if there is one. */
export async function initGpu(onLost: (message: string) => void): Promise<Gpu | null> {
  const adapter = byId('adapter');
  try {
    const gpu = await openGpu();
    adapter.textContent = `WebGPU adapter: ${describeGpu(gpu)}`;
    adapter.dataset.state = 'ready';
    void gpu.device.lost.then((info) => {
      if (info.reason !== 'destroyed') onLost(`The GPU device was lost (${info.reason}): ${info.message}. Reload the page to start again.`);
    });
    gpu.device.addEventListener('uncapturederror', (e) => {
      onLost(`GPU error: ${(e as GPUUncapturedErrorEvent).error.message}`);
    });
    return gpu;
  } catch (e) {
    const { message, hint } = describeError(e);
    adapter.textContent = 'No WebGPU adapter';
    adapter.dataset.state = 'error';
    byId('gpu-error-message').textContent = message;
    byId('gpu-error-hint').textContent = hint ?? GET_WEBGPU;
    byId('gpu-error').hidden = false;
    console.warn(e);
    return null;
  }
}

/** True for CPU implementations of WebGPU (SwiftShader, lavapipe, llvmpipe): slow, so suggest small runs. */
export function isSoftwareAdapter(gpu: Gpu): boolean {
  const a = gpu.adapterInfo;
  return /swiftshader|llvmpipe|lavapipe|software|cpu/i.test(`${a.vendor} ${a.architecture} ${a.device} ${a.description}`);
}
