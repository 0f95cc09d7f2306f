import type { Gpu } from '../gpu/device';
import { kernel, linearGrid, type Binding, type KernelCall } from '../gpu/kernel';

/** An activation a layer fuses into its kernels; 'linear' is none. Softmax is separate: see Dense. */
export type Activation = 'linear' | 'relu' | 'sigmoid';

/** The activations a hidden layer's kernels apply. */
export const ACTIVATIONS: readonly Activation[] = ['linear', 'relu', 'sigmoid'];

/** The ACT_* codes of shaders/activation_fns.wgsl. */
export const ACTIVATION_CODE: Record<Activation, number> = { linear: 0, relu: 1, sigmoid: 2 };

const WG = 256;

/** y = act(x), elementwise over `count` values. */
export function activationForward(gpu: Gpu, act: Activation, count: number, x: Binding, y: Binding): Promise<KernelCall> {
  return kernel(gpu, {
    label: `${act} forward`,
    shader: 'activation',
    entry: 'forward',
    constants: { ACT: ACTIVATION_CODE[act], COUNT: count, WG },
    bindings: [x, y],
    workgroups: linearGrid(count, WG),
    flops: count,
    bytes: 8 * count,
  });
}

/** dx = dy ⊙ act'(y), from the forward output y. */
export function activationBackward(
  gpu: Gpu, act: Activation, count: number, y: Binding, dy: Binding, dx: Binding,
): Promise<KernelCall> {
  return kernel(gpu, {
    label: `${act} backward`,
    shader: 'activation',
    entry: 'backward',
    constants: { ACT: ACTIVATION_CODE[act], COUNT: count, WG },
    bindings: [y, dx, dy],
    workgroups: linearGrid(count, WG),
    flops: 2 * count,
    bytes: 12 * count,
  });
}

const unused = new WeakMap<GPUDevice, GPUBuffer>();

/**
 * A 16-byte placeholder for a binding a specialisation never reads: `layout: 'auto'` keeps every
 * binding an entry point mentions, whatever the override constants switch off.
 */
export function unusedBinding(gpu: Gpu): GPUBuffer {
  let b = unused.get(gpu.device);
  if (!b) {
    b = gpu.device.createBuffer({ label: 'unused binding', size: 16, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.UNIFORM });
    unused.set(gpu.device, b);
  }
  return b;
}
