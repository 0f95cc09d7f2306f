/**
 * Stands in for the Node-only modules src/gpu/device.ts imports on its Node path (Dawn's `webgpu`
 * package and `node:os`), in the demo's bundle (aliased in vite.config.ts). That path runs only
 * where navigator.gpu is missing, which gpu.ts checks first; should it run anyway, it fails saying so.
 */
const NO_WEBGPU = 'navigator.gpu is missing: this browser does not expose WebGPU.';

export function create(): never {
  throw new Error(NO_WEBGPU);
}
export const globals = {};
export function tmpdir(): never {
  throw new Error(NO_WEBGPU);
}
