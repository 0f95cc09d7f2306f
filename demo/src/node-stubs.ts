/**
 * Stands in for Dawn's `webgpu` package, which requestGpu imports on its Node path only, in the
 * demo's bundle (aliased in vite.config.ts). A browser never takes that path (without navigator.gpu,
 * requestGpu throws a GpuError saying so); should it run anyway, it fails saying why.
 */
const NO_WEBGPU = 'navigator.gpu is missing: this browser does not expose WebGPU.';

export function create(): never {
  throw new Error(NO_WEBGPU);
}
export const globals = {};
