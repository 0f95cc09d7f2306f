/**
 * Parameter initialisers on the GPU, one call per tensor, writing `count` elements starting at
 * element `offset` of `target` (the model's parameter buffer, or a range of it). Storage bindings
 * must start at a multiple of 256 bytes, which packed tensors rarely do, hence `offset`.
 *
 * All initialisers share one pipeline (per-tensor values go in a small uniform made per call), so
 * initialising a whole model costs one compile.
 */
import { uniformBuffer, writeBuffer } from '../gpu/buffers';
import type { Gpu } from '../gpu/device';
import { kernel, linearGrid, type Binding, type KernelCall } from '../gpu/kernel';

const WG = 256;
/** The INIT_* codes of shaders/init.wgsl. */
const INIT_FILL = 0;
const INIT_GLOROT_UNIFORM = 1;

export interface GlorotSpec {
  /** The model's seed (u32). */
  seed: number;
  /** Which tensor of the model (u32): different ids draw independent values. */
  tensorId: number;
  fanIn: number;
  fanOut: number;
  count: number;
  /** First element of the tensor within `target`; default 0. */
  offset?: number;
}

export interface FillSpec {
  count: number;
  /** Default 0: Keras' `zeros`, its bias initialiser. */
  value?: number;
  offset?: number;
}

/** Keras' fan_in and fan_out (`_compute_fans`): dense [in, out]; conv HWIO [kh, kw, cin, cout] -> kh*kw*cin, kh*kw*cout. */
export function kerasFans(shape: readonly number[]): { fanIn: number; fanOut: number } {
  if (shape.length === 0) return { fanIn: 1, fanOut: 1 };
  if (shape.length === 1) return { fanIn: shape[0]!, fanOut: shape[0]! };
  const receptive = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  return { fanIn: shape.at(-2)! * receptive, fanOut: shape.at(-1)! * receptive };
}

/** Keras' glorot_uniform bound: sqrt(3 / max(1, (fan_in + fan_out) / 2)) = sqrt(6 / (fan_in + fan_out)). */
export function glorotLimit(fanIn: number, fanOut: number): number {
  return Math.sqrt(3 / Math.max(1, (fanIn + fanOut) / 2));
}

/**
 * w[i] = (2u - 1) * glorotLimit(fanIn, fanOut), u = unit_float(pcg4d(seed, tensorId, i, 0).x): Keras'
 * glorot_uniform, reproducible from the seed on any device (test/oracle/optim.ts is its CPU twin).
 */
export async function glorotUniform(gpu: Gpu, spec: GlorotSpec, target: Binding): Promise<KernelCall> {
  checkU32('seed', spec.seed);
  checkU32('tensorId', spec.tensorId);
  if (!(spec.fanIn > 0 && spec.fanOut > 0)) throw new Error(`glorotUniform: fans must be positive, got ${spec.fanIn}, ${spec.fanOut}`);
  const limit = glorotLimit(spec.fanIn, spec.fanOut);
  return initCall(gpu, `glorot_uniform tensor ${spec.tensorId} [${spec.count}]`, target, {
    kind: INIT_GLOROT_UNIFORM, offset: spec.offset ?? 0, count: spec.count, seed: spec.seed, tensor: spec.tensorId, value: limit,
  });
}

/** w[i] = value (default 0). Zeros for biases. */
export async function fill(gpu: Gpu, spec: FillSpec, target: Binding): Promise<KernelCall> {
  const value = spec.value ?? 0;
  return initCall(gpu, `fill ${value} [${spec.count}]`, target, {
    kind: INIT_FILL, offset: spec.offset ?? 0, count: spec.count, seed: 0, tensor: 0, value,
  });
}

interface InitParams {
  kind: number;
  offset: number;
  count: number;
  seed: number;
  tensor: number;
  value: number;
}

function initCall(gpu: Gpu, label: string, target: Binding, p: InitParams): Promise<KernelCall> {
  checkU32('count', p.count);
  checkU32('offset', p.offset);
  if (p.count < 1) throw new Error(`${label}: count must be at least 1`);
  const capacity = bindingBytes(target) / 4;
  if (p.offset + p.count > capacity) {
    throw new Error(`${label}: elements [${p.offset}, ${p.offset + p.count}) do not fit in a binding of ${capacity}`);
  }
  // Matches `struct InitParams` in shaders/init.wgsl: five u32 then one f32.
  const data = new ArrayBuffer(24);
  new Uint32Array(data, 0, 5).set([p.kind, p.offset, p.count, p.seed, p.tensor]);
  new Float32Array(data, 20, 1)[0] = p.value;
  const uniform = uniformBuffer(gpu, label, data.byteLength);
  writeBuffer(gpu, uniform, new Uint8Array(data));
  return kernel(gpu, {
    label,
    shader: 'init',
    entry: 'main',
    constants: { WG },
    bindings: [target, uniform],
    workgroups: linearGrid(p.count, WG),
    flops: p.kind === INIT_GLOROT_UNIFORM ? 40 * p.count : 0,
    bytes: 4 * p.count,
  });
}

function bindingBytes(b: Binding): number {
  return 'usage' in b ? b.size : (b.size ?? b.buffer.size - (b.offset ?? 0));
}

function checkU32(what: string, x: number): void {
  if (!Number.isInteger(x) || x < 0 || x > 0xffffffff) throw new Error(`init: ${what} must be a u32, got ${x}`);
}
