/**
 * Stands in for Dawn's Node package (`webgpu`) in browser bundles. src/gpu/device.ts imports it
 * only when navigator.gpu is missing; in a browser that means no WebGPU, so say that.
 */
export function create(): never {
  throw new Error('navigator.gpu is missing: this browser does not expose WebGPU (start Chromium with --enable-unsafe-webgpu).');
}
export const globals = {};
