import { GpuError } from '../errors';

/** The features this runtime uses when the adapter offers them. */
const WANTED_FEATURES = ['timestamp-query', 'shader-f16', 'subgroups'] as const;
export type GpuFeature = (typeof WANTED_FEATURES)[number];

export interface AdapterDescription {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
}

/**
 * A GPU device together with everything that must outlive it.
 *
 * Dawn's Node binding crashes (SIGSEGV, a futex abort, or a hang) when its instance or adapter is
 * garbage-collected while a device still lives, so this object keeps strong references to all
 * three and `release()` tears them down device-first.
 */
export interface Gpu {
  readonly device: GPUDevice;
  readonly adapter: GPUAdapter;
  readonly adapterInfo: AdapterDescription;
  readonly features: ReadonlySet<GpuFeature>;
  readonly limits: GPUSupportedLimits;
  /**
   * Throws a GpuError naming `operation` if the device was lost or reported an error (validation,
   * out of memory) since the last check. Cheap: call it at natural checkpoints, not per dispatch.
   */
  check(operation: string): void;
  /** Destroys the device, then drops the adapter and instance. Safe to call twice. */
  release(): void;
}

export interface AcquireOptions {
  powerPreference?: GPUPowerPreference;
}

const NO_WEBGPU_BROWSER =
  'Use a browser with WebGPU: Chrome or Edge 113+, or Safari 26+. In Chromium on Linux, start it with ' +
  '--enable-unsafe-webgpu (or enable chrome://flags/#enable-unsafe-webgpu).';
const NO_WEBGPU_NODE =
  'Install a GPU driver with Vulkan support. On Linux without a GPU, install Mesa\'s lavapipe from Mesa 24 or ' +
  'newer (Debian 12: add the bookworm-backports suite, then `apt-get install -t bookworm-backports ' +
  'mesa-vulkan-drivers`); `npm run setup` does this for you.';

/** Finds a WebGPU adapter (navigator.gpu in a browser, Dawn's `webgpu` package in Node) and opens a device. */
export async function acquireGpu(options: AcquireOptions = {}): Promise<Gpu> {
  const inBrowser = typeof window !== 'undefined';
  if (inBrowser && !navigator.gpu) {
    throw new GpuError('This browser does not offer WebGPU (navigator.gpu is missing; it also needs https or localhost).', NO_WEBGPU_BROWSER);
  }
  const { gpu, instanceHandle } = inBrowser ? { gpu: navigator.gpu, instanceHandle: null } : await nodeGpu();
  const hint = inBrowser ? NO_WEBGPU_BROWSER : NO_WEBGPU_NODE;

  let adapter: GPUAdapter | null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: options.powerPreference ?? 'high-performance' });
  } catch (e) {
    throw new GpuError(`Requesting a WebGPU adapter failed: ${(e as Error).message}`, hint);
  }
  if (!adapter) throw new GpuError('No WebGPU adapter was found.', hint);

  const features = new Set(WANTED_FEATURES.filter((f) => adapter.features.has(f)));
  // Ask for the adapter's own limits: the defaults (128 MiB bindings) are lower than many adapters allow.
  const l = adapter.limits;
  const device = await adapter.requestDevice({
    requiredFeatures: [...features],
    requiredLimits: {
      maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
      maxBufferSize: l.maxBufferSize,
      maxStorageBuffersPerShaderStage: l.maxStorageBuffersPerShaderStage,
      maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
      maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
      maxComputeWorkgroupSizeY: l.maxComputeWorkgroupSizeY,
      maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
    },
  });

  const info = adapter.info;
  const adapterInfo: AdapterDescription = {
    vendor: info.vendor,
    architecture: info.architecture,
    device: info.device,
    description: info.description,
  };
  return new OwnedGpu(device, adapter, instanceHandle, adapterInfo, features);
}

class OwnedGpu implements Gpu {
  // Held only so the garbage collector cannot take them before the device; see `Gpu`.
  #adapter: GPUAdapter | null;
  #instance: unknown;
  #released = false;
  #errors: string[] = [];
  #lost: string | null = null;

  constructor(
    readonly device: GPUDevice,
    adapter: GPUAdapter,
    instance: unknown,
    readonly adapterInfo: AdapterDescription,
    readonly features: ReadonlySet<GpuFeature>,
  ) {
    this.#adapter = adapter;
    this.#instance = instance;
    device.addEventListener('uncapturederror', (e) => this.#errors.push((e as GPUUncapturedErrorEvent).error.message));
    void device.lost.then((info) => {
      if (!this.#released) this.#lost = `${info.reason}: ${info.message}`;
    });
  }

  check(operation: string): void {
    if (this.#lost !== null) {
      throw new GpuError(`The GPU device was lost during ${operation} (${this.#lost}).`, 'The last checkpoint is intact: resume with `train --resume <results folder>`.');
    }
    const errors = this.#errors.splice(0);
    if (errors.length > 0) {
      const oom = errors.some((m) => /out of memory|allocation/i.test(m));
      throw new GpuError(
        `The GPU reported ${errors.length === 1 ? 'an error' : `${errors.length} errors`} during ${operation}: ${errors[0]}`,
        oom ? 'The model or batch is too large for this adapter: try a smaller --batch-size.' : 'This is a bug in wgml; please report it with this message.',
      );
    }
  }

  get adapter(): GPUAdapter {
    if (!this.#adapter) throw new GpuError('This GPU was released; acquire a new one.');
    return this.#adapter;
  }

  get limits(): GPUSupportedLimits {
    return this.device.limits;
  }

  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.device.destroy();
    this.#adapter = null;
    this.#instance = null;
  }
}

/**
 * True when the device runs subgroups of exactly 8 lanes (lavapipe on AVX2/AVX-512 does): the
 * subgroup kernels (shaders/*_subgroups.wgsl) share loads across 8 lanes and assume that width.
 */
export function eightLaneSubgroups(gpu: Gpu): boolean {
  if (!gpu.features.has('subgroups')) return false;
  const info = gpu.adapter.info as GPUAdapterInfo & { subgroupMinSize?: number; subgroupMaxSize?: number };
  return info.subgroupMinSize === 8 && info.subgroupMaxSize === 8;
}

/** One line naming the adapter and the features in use, for logs and reports. */
export function describeGpu(gpu: Gpu): string {
  const a = gpu.adapterInfo;
  const name = [a.vendor, a.architecture, a.description || a.device].filter(Boolean).join(' / ') || 'unknown adapter';
  const feats = gpu.features.size ? [...gpu.features].join(', ') : 'none';
  return `${name} (features: ${feats})`;
}

async function nodeGpu(): Promise<{ gpu: GPU; instanceHandle: unknown }> {
  // The Vulkan loader warns when XDG_RUNTIME_DIR is unset; a temp dir is what it wants.
  const { tmpdir } = await import('node:os');
  process.env.XDG_RUNTIME_DIR ??= tmpdir();
  let webgpu: typeof import('webgpu');
  try {
    webgpu = await import('webgpu');
  } catch (e) {
    throw new GpuError(
      `The 'webgpu' package (Dawn's Node bindings) could not be loaded: ${(e as Error).message}`,
      'Run `npm ci` in the project directory.',
    );
  }
  Object.assign(globalThis, webgpu.globals);
  const instance = webgpu.create([]);
  return { gpu: instance, instanceHandle: instance };
}
