import { GpuError } from '../errors';

/**
 * An optional WebGPU feature wgml requests when the adapter offers it; `Gpu.features` holds those
 * the device got. 'timestamp-query': the profiler times each kernel on the GPU. 'subgroups':
 * matmul and conv2d use subgroup kernels where subgroups are 8 lanes wide. 'shader-f16': requested,
 * not used by any kernel yet.
 */
export type GpuFeature = 'timestamp-query' | 'shader-f16' | 'subgroups';

/** The features this runtime uses when the adapter offers them. */
const WANTED_FEATURES = ['timestamp-query', 'shader-f16', 'subgroups'] as const satisfies readonly GpuFeature[];

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
  readonly adapterInfo: AdapterDescription;
  /** The adapter's subgroup sizes, when it reports them (the subgroup kernels assume 8 lanes). */
  readonly subgroupSizes: { min: number; max: number } | null;
  /** True once release() was called: every use after that throws a GpuError. */
  readonly released: boolean;
  readonly features: ReadonlySet<GpuFeature>;
  readonly limits: GPUSupportedLimits;
  /**
   * Runs `work` (synchronous GPU calls: creating buffers, encoding, submitting) inside validation and
   * out-of-memory error scopes. An error it causes is kept under `operation`'s name and thrown by
   * the next check() or settle(); the scopes' verdicts arrive later, so the hot loop never waits.
   */
  scoped<T>(operation: string, work: () => T): T;
  /**
   * Throws a GpuError if the device was lost or an error was reported (by a scoped operation, which
   * it names, or as an uncaptured error) since the last check; `operation` says what was going on.
   * Cheap: call it at natural checkpoints, not per dispatch.
   */
  check(operation: string): void;
  /** Waits for the verdicts of all scoped operations so far, then check(operation). */
  settle(operation: string): Promise<void>;
  /**
   * Calls `listener` if the device is lost, with a description; never after release(). Returns a
   * function that unsubscribes it.
   */
  onLost(listener: (description: string) => void): () => void;
  /**
   * Destroys the device (unless the application passed it in), then drops the adapter and
   * instance. Safe to call twice.
   */
  release(): void;
}

/** How to get a device: from the platform (the default), or one the application already owns. */
export interface GpuOptions {
  /** Passed to requestAdapter; default 'high-performance'. */
  powerPreference?: GPUPowerPreference;
  /**
   * Use this device instead of requesting one (e.g. an app that also renders with it). wgml then
   * never destroys it: `release()` only stops wgml from using it.
   */
  device?: GPUDevice;
}

const NO_WEBGPU_BROWSER =
  'Use a browser with WebGPU: Chrome or Edge 113+, or Safari 26+. In Chromium on Linux, start it with ' +
  '--enable-unsafe-webgpu (or enable chrome://flags/#enable-unsafe-webgpu).';
const NO_WEBGPU_NODE =
  'Install a GPU driver with Vulkan support. On Linux without a GPU, install Mesa\'s lavapipe from Mesa 24 or ' +
  'newer (Debian 12: add the bookworm-backports suite, then `apt-get install -t bookworm-backports ' +
  'mesa-vulkan-drivers`); `npm run setup` does this for you.';

/**
 * Opens a WebGPU device: navigator.gpu in a browser (or a worker), Dawn's `webgpu` package in Node;
 * or wraps `options.device`. Call `release()` on the result when done.
 */
export async function requestGpu(options: GpuOptions = {}): Promise<Gpu> {
  if (options.device) return wrapDevice(options.device);
  const inBrowser = typeof navigator !== 'undefined' && 'gpu' in navigator;
  if (!inBrowser && typeof process === 'undefined') {
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

  return new OwnedGpu(device, adapter, instanceHandle, describeAdapter(adapter.info), features, true);
}

/** A Gpu over a device the application owns (its adapter is not needed: a device keeps its own alive). */
function wrapDevice(device: GPUDevice): Gpu {
  const features = new Set(WANTED_FEATURES.filter((f) => device.features.has(f)));
  const info = (device as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo;
  const description = info ? describeAdapter(info) : { vendor: '', architecture: '', device: '', description: 'a device passed in by the application' };
  return new OwnedGpu(device, null, null, description, features, false, info ?? null);
}

function describeAdapter(info: GPUAdapterInfo): AdapterDescription {
  return { vendor: info.vendor, architecture: info.architecture, device: info.device, description: info.description };
}

/** A GPU error, with the scoped operation that caused it (null: reported as uncaptured). */
interface ScopedError {
  operation: string | null;
  message: string;
  outOfMemory: boolean;
}

class OwnedGpu implements Gpu {
  // Held only so the garbage collector cannot take them before the device; see `Gpu`.
  #adapter: GPUAdapter | null;
  #instance: unknown;
  #device: GPUDevice;
  readonly subgroupSizes: { min: number; max: number } | null;
  #released = false;
  #errors: ScopedError[] = [];
  /** Error-scope verdicts not yet in: settle() waits for them. */
  #verdicts = new Set<Promise<void>>();
  #lost: string | null = null;
  #lostListeners: ((description: string) => void)[] = [];

  constructor(
    device: GPUDevice,
    adapter: GPUAdapter | null,
    instance: unknown,
    readonly adapterInfo: AdapterDescription,
    readonly features: ReadonlySet<GpuFeature>,
    /** False for a device the application passed in: release() leaves it alive. */
    private readonly owned: boolean,
    info: GPUAdapterInfo | null = adapter?.info ?? null,
  ) {
    this.#device = device;
    this.#adapter = adapter;
    this.#instance = instance;
    const sizes = info as (GPUAdapterInfo & { subgroupMinSize?: number; subgroupMaxSize?: number }) | null;
    this.subgroupSizes = sizes?.subgroupMinSize && sizes.subgroupMaxSize ? { min: sizes.subgroupMinSize, max: sizes.subgroupMaxSize } : null;
    // Errors outside any scope still count; they just cannot name their operation.
    device.addEventListener('uncapturederror', (e) => {
      const { message } = (e as GPUUncapturedErrorEvent).error;
      this.#errors.push({ operation: null, message, outOfMemory: /out of memory/i.test(message) });
    });
    void device.lost.then((info) => {
      if (this.#released) return;
      this.#lost = `${info.reason}: ${info.message}`;
      for (const listener of this.#lostListeners.splice(0)) listener(this.#lost);
    });
  }

  scoped<T>(operation: string, work: () => T): T {
    const { device } = this;
    device.pushErrorScope('out-of-memory');
    device.pushErrorScope('validation');
    try {
      return work();
    } finally {
      // Popped innermost first: validation, then out-of-memory.
      const verdict = Promise.all([device.popErrorScope(), device.popErrorScope()]).then(
        ([validation, oom]) => {
          if (validation) this.#errors.push({ operation, message: validation.message, outOfMemory: false });
          if (oom) this.#errors.push({ operation, message: oom.message, outOfMemory: true });
        },
        () => {}, // popping fails only once the device is gone, which check() reports
      );
      this.#verdicts.add(verdict);
      void verdict.then(() => this.#verdicts.delete(verdict));
    }
  }

  check(operation: string): void {
    if (this.#lost !== null) {
      throw new GpuError(`The GPU device was lost during ${operation} (${this.#lost}).`, 'Work since the last checkpoint is lost; the checkpoint is intact (on the command line: `train --resume <results folder>`).');
    }
    const errors = this.#errors.splice(0);
    const first = errors[0];
    if (!first) return;
    const count = errors.length === 1 ? 'an error' : `${errors.length} errors`;
    const where = first.operation === null ? `during ${operation}` : `in ${first.operation}`;
    throw new GpuError(
      `The GPU reported ${count} ${where}: ${first.message}`,
      errors.some((e) => e.outOfMemory)
        ? 'The GPU ran out of memory: use a smaller --batch-size (or model), or close other programs using the GPU.'
        : 'This is a bug in wgml; please report it with this message.',
    );
  }

  async settle(operation: string): Promise<void> {
    await Promise.all(this.#verdicts);
    this.check(operation);
  }

  onLost(listener: (description: string) => void): () => void {
    if (this.#lost !== null) listener(this.#lost);
    else if (!this.#released) this.#lostListeners.push(listener);
    return () => {
      this.#lostListeners = this.#lostListeners.filter((l) => l !== listener);
    };
  }

  get device(): GPUDevice {
    if (this.#released) throw new GpuError('This GPU was released, and a released GPU cannot be used again.', 'Call requestGpu() for a new one.');
    return this.#device;
  }

  get released(): boolean {
    return this.#released;
  }

  get limits(): GPUSupportedLimits {
    return this.device.limits;
  }

  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.#lostListeners = [];
    if (this.owned) this.#device.destroy();
    this.#adapter = null;
    this.#instance = null;
  }
}

/**
 * True when the device runs subgroups of exactly 8 lanes (lavapipe on AVX2/AVX-512 does): the
 * subgroup kernels (shaders/*_subgroups.wgsl) share loads across 8 lanes and assume that width.
 */
export function eightLaneSubgroups(gpu: Gpu): boolean {
  return gpu.features.has('subgroups') && gpu.subgroupSizes?.min === 8 && gpu.subgroupSizes.max === 8;
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
  process.env.XDG_RUNTIME_DIR ??= process.env.TMPDIR ?? '/tmp';
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
