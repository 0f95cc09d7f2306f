/**
 * `navigator.gpu` in Node for the runtimes `bench --compare` measures (TF.js, jax-js): both look for
 * WebGPU there, as in a browser, and Node has none. It is one Dawn instance from the same `webgpu`
 * package wgml uses, so the peers run on the same adapter as wgml.
 *
 * Dawn's Node binding crashes (SIGSEGV, a futex abort, or a hang) when its instance or an adapter is
 * garbage-collected while a device made from it still lives (see src/gpu/device.ts). jax-js keeps
 * the device it makes for the life of the process but drops its adapter, so this module holds the
 * instance and every adapter it hands out, for the life of the process: nothing here can be collected.
 */

interface DawnHold {
  readonly instance: GPU;
  /** Every adapter handed out through `navigator.gpu`, kept referenced (a few per process at most). */
  readonly adapters: GPUAdapter[];
  /** What `navigator.gpu` is: requestAdapter goes to `instance` and keeps what it returns. */
  readonly gpu: GPU;
}

let hold: DawnHold | null = null;

/**
 * Makes `navigator.gpu` a Dawn instance (once per process) and returns it. In a browser, or where
 * something already set `navigator.gpu`, that one is left alone and returned.
 */
export async function installNavigatorGpu(): Promise<GPU> {
  if (hold) return hold.gpu;
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav?.gpu) return nav.gpu;
  const webgpu = await import('webgpu');
  const { tmpdir } = await import('node:os');
  // The Vulkan loader warns when XDG_RUNTIME_DIR is unset; a temp dir is what it wants.
  process.env.XDG_RUNTIME_DIR ??= tmpdir();
  Object.assign(globalThis, webgpu.globals);
  const instance = webgpu.create([]);
  const adapters: GPUAdapter[] = [];
  const gpu = {
    requestAdapter: async (options?: GPURequestAdapterOptions) => {
      const adapter = await instance.requestAdapter(options);
      if (adapter) adapters.push(adapter);
      return adapter;
    },
    getPreferredCanvasFormat: () => instance.getPreferredCanvasFormat(),
    get wgslLanguageFeatures() {
      return instance.wgslLanguageFeatures;
    },
    __brand: 'GPU',
  } as GPU;
  hold = { instance, adapters, gpu };
  // jax-js reads navigator.userAgent (browser sniffing) next to navigator.gpu; Node 21+ has one, 20 has no navigator.
  if (nav === undefined) Object.defineProperty(globalThis, 'navigator', { value: { gpu, userAgent: `Node.js/${process.versions.node}` }, configurable: true, writable: true });
  else Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true, writable: true });
  return gpu;
}

/** "vendor / architecture / description" of an adapter, as wgml's `describeGpu` names its own. */
export function describeAdapterInfo(info: GPUAdapterInfo | undefined): string {
  return info ? [info.vendor, info.architecture, info.description || info.device].filter(Boolean).join(' / ') || 'unknown adapter' : 'unknown adapter';
}
