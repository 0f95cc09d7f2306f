import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { describeAdapterInfo, installNavigatorGpu } from '../peers/dawn';

/**
 * TF.js backends in Node: 'webgpu' on Dawn (the same `webgpu` package and adapter wgml uses),
 * 'wasm' (XNNPACK, SIMD, one thread in Node) and 'cpu' (plain JavaScript, in @tensorflow/tfjs).
 *
 * tfjs-backend-webgpu registers itself only when `navigator.gpu` exists at import time, and its
 * backend's constructor checks it again; Node has no `navigator.gpu`, so we expose Dawn's GPU object
 * there (bench/peers/dawn.ts, which holds the instance and its adapters for the process's life:
 * Dawn's Node binding crashes when they are garbage-collected under a live device) and register
 * the backend with our own factory.
 */

export type TfjsBackendName = 'webgpu' | 'wasm' | 'cpu';

interface DawnHold {
  adapter: GPUAdapter | null;
  device: GPUDevice | null;
}
let dawn: DawnHold | null = null;

export interface BackendInfo {
  backend: TfjsBackendName;
  /** Adapter description (webgpu) or the wasm build's features. */
  adapter: string;
}

export async function useBackend(name: TfjsBackendName): Promise<BackendInfo> {
  if (name === 'webgpu') {
    await registerDawnWebgpu();
    if (!(await tf.setBackend('webgpu'))) throw new Error('TF.js could not initialise its webgpu backend on Dawn.');
    return { backend: name, adapter: describeAdapterInfo(dawn?.adapter?.info) };
  }
  if (name === 'cpu') {
    if (!(await tf.setBackend('cpu'))) throw new Error('TF.js could not initialise its cpu backend.');
    return { backend: name, adapter: 'JavaScript on the CPU, 1 thread' };
  }
  if (!(await tf.setBackend('wasm'))) throw new Error('TF.js could not initialise its wasm backend.');
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  const threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
  return { backend: name, adapter: `wasm${simd ? ' simd' : ''}${threads ? ' threaded' : ', 1 thread'}` };
}

async function registerDawnWebgpu(): Promise<void> {
  if (dawn) return;
  const gpu = await installNavigatorGpu();
  const hold: DawnHold = { adapter: null, device: null };
  dawn = hold;

  if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
  tf.registerBackend('webgpu', async () => {
    const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (!adapter) throw new Error('Dawn found no WebGPU adapter.');
    hold.adapter = adapter;
    const l = adapter.limits;
    // The same device settings as tfjs-backend-webgpu's own factory.
    const device = await adapter.requestDevice({
      requiredFeatures: adapter.features.has('timestamp-query') ? ['timestamp-query'] : [],
      requiredLimits: {
        maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
        maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
        maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
        maxBufferSize: l.maxBufferSize,
        maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
        maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
      },
    });
    hold.device = device;
    return new WebGPUBackend(device, adapter.info as unknown as ConstructorParameters<typeof WebGPUBackend>[1]);
  }, 0);
}

/** Disposes TF.js's webgpu backend, then destroys its device (bench/peers/dawn.ts keeps the adapter and instance). */
export function releaseWebgpu(): void {
  if (!dawn) return;
  if (tf.findBackend('webgpu')) tf.removeBackend('webgpu');
  dawn.device?.destroy();
  dawn.device = null;
  dawn.adapter = null;
  dawn = null;
}

export const CONV_FILTER_GRAD = 'Conv2DBackpropFilter';

/** Whether `backend` can compute a conv2d filter gradient (tfjs-backend-wasm 4.x cannot as shipped). */
export function hasConvFilterGradient(backend: TfjsBackendName): boolean {
  return tf.getKernel(CONV_FILTER_GRAD, backend) !== undefined;
}

/**
 * Adds the missing wasm Conv2DBackpropFilter by running wasm's Conv3DBackpropFilterV2 on the
 * tensors viewed with a depth of 1 (reshapes are free); stride 1 only, which is what the CNN uses. Opt-in (`--tfjs-wasm-conv-grad`): with it
 * the wasm backend can train the CNN, but it is then no longer TF.js as shipped.
 */
export function addWasmConvFilterGradient(): void {
  if (hasConvFilterGradient('wasm')) return;
  const reshape = tf.getKernel('Reshape', 'wasm');
  const conv3d = tf.getKernel('Conv3DBackpropFilterV2', 'wasm');
  if (!reshape || !conv3d) throw new Error('The wasm backend lacks Reshape or Conv3DBackpropFilterV2.');
  tf.registerKernel({
    kernelName: CONV_FILTER_GRAD,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, dy } = inputs as unknown as { x: tf.TensorInfo; dy: tf.TensorInfo };
      const a = attrs as unknown as { strides: [number, number] | number; pad: 'valid' | 'same' | number; filterShape: [number, number, number, number]; dataFormat?: string };
      if (a.dataFormat && a.dataFormat !== 'NHWC') throw new Error(`${CONV_FILTER_GRAD} (added): only NHWC, got ${a.dataFormat}`);
      if (typeof a.pad === 'number') throw new Error(`${CONV_FILTER_GRAD} (added): only 'same' or 'valid' padding`);
      const [sh, sw] = typeof a.strides === 'number' ? [a.strides, a.strides] : a.strides;
      // Checked against TF.js's cpu backend for stride 1 ('same' and 'valid'); strided results differed.
      if (sh !== 1 || sw !== 1) throw new Error(`${CONV_FILTER_GRAD} (added): only stride 1`);
      const view = (t: tf.TensorInfo) => {
        const [b, h, w, c] = t.shape as [number, number, number, number];
        return reshape.kernelFunc({ inputs: { x: t }, backend, attrs: { shape: [b, 1, h, w, c] } }) as tf.TensorInfo;
      };
      const x5 = view(x);
      const dy5 = view(dy);
      const [kh, kw, ci, co] = a.filterShape;
      const dw5 = conv3d.kernelFunc({
        inputs: { x: x5, dy: dy5 },
        backend,
        attrs: { strides: [1, sh, sw], pad: a.pad, filterShape: [1, kh, kw, ci, co] },
      }) as tf.TensorInfo;
      const dw = reshape.kernelFunc({ inputs: { x: dw5 }, backend, attrs: { shape: a.filterShape } }) as tf.TensorInfo;
      for (const t of [x5, dy5, dw5]) (backend as tf.KernelBackend).disposeData(t.dataId);
      return dw;
    },
  });
}
