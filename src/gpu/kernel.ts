import { GpuError } from '../errors';
import type { Gpu } from './device';
import { shaderSource } from './shaders';

/** A buffer, or a byte range of one (e.g. one parameter tensor of the model's parameter buffer). */
export type Binding = GPUBuffer | GPUBufferBinding;

/** One compute dispatch, compiled and bound once, recorded into as many passes as needed. */
export interface KernelCall {
  readonly label: string;
  readonly pipeline: GPUComputePipeline;
  readonly bindGroup: GPUBindGroup;
  readonly workgroups: readonly [number, number, number];
  /** Arithmetic and memory traffic of one dispatch, for the profiler's GFLOP/s and GB/s. */
  readonly flops: number;
  readonly bytes: number;
}

export interface KernelSpec {
  label: string;
  shader: string;
  /** Required modules of `shader` to replace, by name, with others of the same interface (see shaders.ts). */
  modules?: Readonly<Record<string, string>>;
  entry: string;
  /** WGSL `override` values: shapes and modes, so each specialisation compiles to straight-line code. */
  constants?: Record<string, number>;
  /** Resources for `@group(0) @binding(i)`, in binding order. */
  bindings: readonly Binding[];
  workgroups: readonly [number, number?, number?];
  flops?: number;
  bytes?: number;
}

const pipelineCaches = new WeakMap<GPUDevice, Map<string, Promise<GPUComputePipeline>>>();
const moduleCaches = new WeakMap<GPUDevice, Map<string, GPUShaderModule>>();

/** Compiles (or reuses) the pipeline for `spec` and binds its resources. */
export async function kernel(gpu: Gpu, spec: KernelSpec): Promise<KernelCall> {
  let pipeline: GPUComputePipeline;
  try {
    pipeline = await gpu.scoped(`compiling kernel '${spec.label}'`, () => pipelineFor(gpu.device, spec.shader, spec.modules ?? {}, spec.entry, spec.constants ?? {}));
  } catch (e) {
    throw new GpuError(`Compiling kernel '${spec.label}' (${spec.shader}.wgsl, ${spec.entry}) failed: ${(e as Error).message}`, 'This is a bug in wgml; please report it with this message.');
  }
  const entries = spec.bindings.map((b, binding) => ({ binding, resource: 'usage' in b ? { buffer: b } : b }));
  const bindGroup = gpu.scoped(`binding kernel '${spec.label}'`, () =>
    gpu.device.createBindGroup({ label: spec.label, layout: pipeline.getBindGroupLayout(0), entries }),
  );
  const [x, y = 1, z = 1] = spec.workgroups;
  const max = gpu.limits.maxComputeWorkgroupsPerDimension;
  if (x > max || y > max || z > max) {
    throw new Error(`${spec.label}: ${x}x${y}x${z} workgroups exceeds the adapter's ${max} per dimension`);
  }
  return { label: spec.label, pipeline, bindGroup, workgroups: [x, y, z], flops: spec.flops ?? 0, bytes: spec.bytes ?? 0 };
}

function pipelineFor(device: GPUDevice, shader: string, modules: Readonly<Record<string, string>>, entry: string, constants: Record<string, number>) {
  let cache = pipelineCaches.get(device);
  if (!cache) pipelineCaches.set(device, (cache = new Map()));
  const source = moduleKey(shader, modules);
  const key = `${source}:${entry}:${JSON.stringify(constants)}`;
  let pipeline = cache.get(key);
  if (!pipeline) {
    pipeline = device.createComputePipelineAsync({
      label: key,
      layout: 'auto',
      compute: { module: moduleFor(device, shader, modules, source), entryPoint: entry, constants },
    });
    cache.set(key, pipeline);
  }
  return pipeline;
}

/** `shader`, or `shader[a=b,...]` with its module swaps: the name of one WGSL source. */
function moduleKey(shader: string, modules: Readonly<Record<string, string>>): string {
  const swaps = Object.entries(modules).sort(([a], [b]) => (a < b ? -1 : 1));
  return swaps.length ? `${shader}[${swaps.map(([a, b]) => `${a}=${b}`).join(',')}]` : shader;
}

function moduleFor(device: GPUDevice, shader: string, modules: Readonly<Record<string, string>>, key: string): GPUShaderModule {
  let cache = moduleCaches.get(device);
  if (!cache) moduleCaches.set(device, (cache = new Map()));
  let module = cache.get(key);
  if (!module) {
    module = device.createShaderModule({ label: key, code: shaderSource(shader, modules) });
    cache.set(key, module);
  }
  return module;
}

/** Records `calls` in order into one compute pass. */
export function encodeCalls(pass: GPUComputePassEncoder, calls: readonly KernelCall[]): void {
  for (const c of calls) {
    pass.setPipeline(c.pipeline);
    pass.setBindGroup(0, c.bindGroup);
    pass.dispatchWorkgroups(...c.workgroups);
  }
}

/** Encodes `calls` into one command buffer and submits it. */
export function submitCalls(gpu: Gpu, calls: readonly KernelCall[]): void {
  const encoder = gpu.device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  encodeCalls(pass, calls);
  pass.end();
  gpu.device.queue.submit([encoder.finish()]);
}

/**
 * Workgroup counts covering `count` invocations of a 1-D kernel with `workgroupSize` lanes, folded
 * into y when x would pass the 65,535 limit. Shaders recover the index as
 * `gid.x + gid.y * num_workgroups.x * workgroupSize` and skip indices >= count.
 */
export function linearGrid(count: number, workgroupSize: number): [number, number] {
  const groups = Math.max(1, Math.ceil(count / workgroupSize));
  if (groups <= 65535) return [groups, 1];
  const y = Math.ceil(groups / 65535);
  return [Math.ceil(groups / y), y];
}

/**
 * About how many items each lane of a strideGrid kernel takes. On lavapipe a small SGD update costs
 * more per lane started than per vec4 updated: 8-29 % less time at 8 vec4 per lane than at one for
 * one-hidden's parameters (bench/NOTES.md, "Grid-stride elementwise kernels"). Not a rule: at the
 * mlp's size the loop lost 0-14 %, and Adam's longer body ran 2x slower in it. A GPU loses little at
 * 8 items per lane: the loads of its iterations are independent, and the grid still has count / 8 lanes.
 */
const ITEMS_PER_LANE = 8;

/**
 * Workgroup counts for a 1-D grid-stride kernel over `count` items: about `count / ITEMS_PER_LANE`
 * lanes (folded like linearGrid), each taking items `i`, `i + lanes`, ... below count, where the
 * shader finds `lanes = num_workgroups.x * num_workgroups.y * workgroupSize`. Such a kernel is correct
 * for any grid, this one included.
 */
export function strideGrid(count: number, workgroupSize: number): [number, number] {
  return linearGrid(Math.ceil(count / ITEMS_PER_LANE), workgroupSize);
}
