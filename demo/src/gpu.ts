/**
 * Getting a WebGPU device in the training worker (demo/src/worker.ts), naming it, noticing when it
 * is lost, and explaining clearly when there is none. Where the browser's workers lack WebGPU, the
 * same API runs on the page's thread (RemoteGpu.inProcess), and the adapter line says so.
 */
import { GpuError, RemoteGpu, requestGpu } from '../../src/index';
import { byId, describeError } from './dom';
import { configureDemoTuning } from './tuning';

/** The device the page trains on: in the worker, or (the fallback) on the page's thread. */
export type Gpu = RemoteGpu;

const GET_WEBGPU =
  'Use a browser with WebGPU: Chrome or Edge 113+, or Safari 26+. In Chromium on Linux, start it with ' +
  '--enable-unsafe-webgpu (or enable chrome://flags/#enable-unsafe-webgpu).';

/**
 * The device, or a GpuError saying why there is none: requestGpu's (no WebGPU in this browser, no
 * adapter), or, asked first, the easily missed rule that browsers offer WebGPU only to secure pages.
 */
export async function openGpu(): Promise<{ gpu: Gpu; inWorker: boolean; why?: string }> {
  if (!navigator.gpu && !window.isSecureContext) {
    throw new GpuError(
      `This page is not a secure context (${location.origin}), and browsers offer WebGPU only to secure pages.`,
      'Open it over https, or as http://localhost (e.g. `npm run dev` and http://localhost:5173/).',
    );
  }
  // No WebGPU on the page means none in its workers either (a browser offers both or neither):
  // requestGpu() then throws at once, with its explanation, before any worker starts.
  if (!navigator.gpu) await requestGpu();
  try {
    return { gpu: await RemoteGpu.connect(new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'wgml training' })), inWorker: true };
  } catch (e) {
    // No WebGPU in this browser's workers (or no module workers): the page's thread may still have it.
    console.warn('Training on the page\'s thread: the training worker has no WebGPU device.', e);
    configureDemoTuning();
    return { gpu: await RemoteGpu.inProcess(), inWorker: false, why: describeError(e).message };
  }
}

/** What the page hears about a device after it is opened. */
export interface GpuWatch {
  /** The device was lost (not released): `description` is its reason and message. */
  lost(description: string): void;
  /** An error no operation caught (src/gpu reports scoped ones itself). */
  error(message: string): void;
}

/**
 * Opens a device, names it on the adapter line, and reports its loss and uncaught errors to
 * `watch`. Used at start and again after a loss, so the adapter line always names the live device.
 */
export async function connectGpu(watch: GpuWatch): Promise<Gpu> {
  const { gpu, inWorker, why } = await openGpu();
  const adapter = byId('adapter');
  const name = gpu.description;
  adapter.textContent = `WebGPU adapter: ${name}`;
  adapter.dataset.state = 'ready';
  adapter.dataset.thread = inWorker ? 'worker' : 'page';
  const thread = byId('thread-note');
  thread.hidden = inWorker;
  thread.textContent = inWorker ? '' : `Training runs on the page's own thread, so the page may stutter while it trains: the training worker has no WebGPU device here (${why ?? 'no reason given'}).`;
  // onLost, not device.lost: it stays silent after gpu.release(), so only a real loss is reported.
  gpu.onLost((description) => {
    adapter.textContent = `WebGPU adapter: ${name}; the device was lost`;
    adapter.dataset.state = 'lost';
    watch.lost(description);
  });
  gpu.onError((message) => watch.error(message));
  return gpu;
}

/** connectGpu, or the panel explaining why there is no WebGPU here (and null). */
export async function initGpu(watch: GpuWatch): Promise<Gpu | null> {
  try {
    return await connectGpu(watch);
  } catch (e) {
    const { message, hint } = describeError(e);
    const adapter = byId('adapter');
    adapter.textContent = 'No WebGPU adapter';
    adapter.dataset.state = 'error';
    byId('gpu-error-message').textContent = message;
    byId('gpu-error-hint').textContent = hint ?? GET_WEBGPU;
    byId('gpu-error').hidden = false;
    console.warn(e);
    return null;
  }
}

/**
 * `work`, unless `gpu` is lost first: then a DeviceLostError at once, even if `work` would wait
 * forever (a paused run) or fail later. When the GPU process dies, its pending reads may fail just
 * before the loss is reported (the order is not specified), so a failure of `work` waits briefly
 * for a loss before it counts as a failure of its own.
 */
export function unlessLost<T>(gpu: Gpu, work: Promise<T>): Promise<T> {
  let unsubscribe = () => {};
  const lost = new Promise<never>((_, reject) => {
    unsubscribe = gpu.onLost((description) => reject(new DeviceLostError(description)));
  });
  // When work wins, `lost` may still reject later, unobserved.
  lost.catch(() => {});
  return Promise.race([
    work.catch(async (e: unknown) => {
      await Promise.race([lost, new Promise((resolve) => setTimeout(resolve, LOSS_GRACE_MS))]);
      throw e;
    }),
    lost,
  ]).finally(unsubscribe);
}

/** How long a failure waits for a device loss that may explain it. */
const LOSS_GRACE_MS = 250;

/** The device was lost while some work used it. */
export class DeviceLostError extends GpuError {
  constructor(readonly description: string) {
    super(`The GPU device was lost (${description}).`);
  }
}

/** True for CPU implementations of WebGPU (SwiftShader, lavapipe, llvmpipe): slow, so suggest small runs. */
export function isSoftwareAdapter(gpu: Gpu): boolean {
  const a = gpu.adapterInfo;
  return /swiftshader|llvmpipe|lavapipe|software|cpu/i.test(`${a.vendor} ${a.architecture} ${a.device} ${a.description}`);
}
