import { describeGpu, eightLaneSubgroups, type Gpu } from '../gpu/device';
import { storageBuffer, writeBuffer } from '../gpu/buffers';
import { linearGrid, type KernelCall } from '../gpu/kernel';
import { matmul, matmulDefaultVariant, matmulPlanFor, matmulVariantChoice, type MatmulShape } from '../kernels/matmul';
import { tuningChoices } from '../tune/tuner';
import { cpuMs } from './stats';

/** measureCeiling's matmul figures for one size. */
export interface MatmulPoint {
  /** The side n of the n x n x n product. */
  size: number;
  /** Best round. */
  gflops: number;
  /** Median round, for the spread. */
  medianGflops: number;
  /** GFLOP per second of this process's CPU time in the best round (NaN in a browser): robust to other load on a software adapter. */
  gflopsPerCpuS: number;
  /** Wall-clock ms per dispatch in the best round. */
  msPerDispatch: number;
  /** The kernel configuration matmul() chose. */
  plan: string;
}

/** The adapter's best measured compute and copy rates: what a training step's rates compare against. */
export interface Ceiling {
  /** describeGpu()'s one-line description of the adapter. */
  adapter: string;
  /** One entry per size measured, in the order asked. */
  matmul: MatmulPoint[];
  /** The best matmul GFLOP/s over the sizes: the step's ceiling. */
  gflops: number;
  /** Bytes read + written per second, GB/s (1e9), copying `copyBytes`. */
  copyGbps: number;
  /** The same for a vec4 copy kernel. */
  kernelCopyGbps: number;
  /** Bytes copied per copy: the requested size, capped by the device's limits, a multiple of 16. */
  copyBytes: number;
}

/** What measureCeiling measures and for how long; every field is optional. */
export interface CeilingOptions {
  /** Square matmul sizes (default 512, 1024). */
  sizes?: readonly number[];
  /** Rounds per figure (default 3). */
  rounds?: number;
  /** Aimed duration of one round, ms (default 300). */
  roundMs?: number;
  /** Buffer size for the copies (default 64 MiB, capped by the device's limits). */
  copyBytes?: number;
}

/**
 * What this adapter can do at best, measured with the runtime's own kernels: the fp32 GFLOP/s of
 * `matmul()` on large square matrices, and copy bandwidth (copyBufferToBuffer, and a trivial
 * vec4 copy kernel). A training step's GFLOP/s divided by the matmul figure says how much of the
 * machine the step uses. Each figure is the best of a few rounds, each round many dispatches in one
 * submit timed from submit to onSubmittedWorkDone (the adapter may be a software one on CPU cores
 * shared with other work: the best round is the least disturbed one).
 */
export async function measureCeiling(gpu: Gpu, options: CeilingOptions = {}): Promise<Ceiling> {
  const sizes = options.sizes ?? [512, 1024];
  const rounds = Math.max(1, options.rounds ?? 3);
  const roundMs = options.roundMs ?? 300;
  const points: MatmulPoint[] = [];
  for (const size of sizes) points.push(await matmulPoint(gpu, size, rounds, roundMs));
  const limit = Math.min(gpu.limits.maxBufferSize, gpu.limits.maxStorageBufferBindingSize);
  const copyBytes = Math.floor(Math.min(options.copyBytes ?? 64 * 2 ** 20, limit) / 16) * 16;
  const { copyGbps, kernelCopyGbps } = await copyBandwidth(gpu, copyBytes, rounds, roundMs);
  return {
    adapter: describeGpu(gpu),
    matmul: points,
    gflops: Math.max(0, ...points.map((p) => p.gflops)),
    copyGbps,
    kernelCopyGbps,
    copyBytes,
  };
}

/**
 * Best and median round of `run` (wall ms per repetition, and the CPU ms of the best-CPU round), with
 * the repetition count set from a first timing.
 */
async function rounds(gpu: Gpu, run: (n: number) => void, count: number, roundMs: number): Promise<{ best: number; median: number; bestCpu: number }> {
  const once = async (n: number) => {
    const c = cpuMs();
    const t = performance.now();
    run(n);
    await gpu.device.queue.onSubmittedWorkDone();
    return { ms: (performance.now() - t) / n, cpu: (cpuMs() - c) / n };
  };
  await once(1); // warm-up: shader JIT, first touch of the buffers
  const estimate = (await once(1)).ms;
  const n = Math.min(200, Math.max(1, Math.round(roundMs / Math.max(estimate, 1e-3))));
  const samples: { ms: number; cpu: number }[] = [];
  for (let r = 0; r < count; r++) samples.push(await once(n));
  const times = samples.map((s) => s.ms).sort((a, b) => a - b);
  return { best: times[0]!, median: times[Math.floor(times.length / 2)]!, bestCpu: Math.min(...samples.map((s) => s.cpu)) };
}

function submitRepeated(gpu: Gpu, call: KernelCall, n: number): void {
  const encoder = gpu.device.createCommandEncoder({ label: `ceiling ${call.label}` });
  const pass = encoder.beginComputePass();
  pass.setPipeline(call.pipeline);
  pass.setBindGroup(0, call.bindGroup);
  for (let i = 0; i < n; i++) pass.dispatchWorkgroups(...call.workgroups);
  pass.end();
  gpu.device.queue.submit([encoder.finish()]);
}

async function matmulPoint(gpu: Gpu, size: number, count: number, roundMs: number): Promise<MatmulPoint> {
  const elements = size * size;
  const values = new Float32Array(elements).map((_, i) => ((i * 7919) % 1000) / 1000 - 0.5);
  const a = storageBuffer(gpu, `ceiling a ${size}`, elements * 4, values);
  const b = storageBuffer(gpu, `ceiling b ${size}`, elements * 4, values);
  const c = storageBuffer(gpu, `ceiling c ${size}`, elements * 4);
  try {
    const shape = { m: size, n: size, k: size };
    const call = await matmul(gpu, shape, { a, b, c }, { kind: 'none' }, 'ceiling matmul');
    const { best, median, bestCpu } = await rounds(gpu, (n) => submitRepeated(gpu, call, n), count, roundMs);
    return {
      size,
      gflops: call.flops / (best * 1e6),
      medianGflops: call.flops / (median * 1e6),
      gflopsPerCpuS: call.flops / (bestCpu * 1e6),
      msPerDispatch: best,
      plan: sharedPlanName(gpu, shape),
    };
  } finally {
    for (const buf of [a, b, c]) buf.destroy();
  }
}

const COPY_WGSL = /* wgsl */ `
@group(0) @binding(0) var<storage, read> src: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> dst: array<vec4<f32>>;
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + gid.y * groups.x * 256u;
  if (i < arrayLength(&dst)) { dst[i] = src[i]; }
}`;

async function copyBandwidth(gpu: Gpu, bytes: number, count: number, roundMs: number): Promise<{ copyGbps: number; kernelCopyGbps: number }> {
  const { device } = gpu;
  const src = storageBuffer(gpu, 'ceiling copy src', bytes);
  const dst = storageBuffer(gpu, 'ceiling copy dst', bytes);
  try {
    // Touch the source so no driver can skip pages it never saw written.
    writeBuffer(gpu, src, new Uint8Array(bytes).fill(1));
    const copies = await rounds(gpu, (n) => {
      const encoder = device.createCommandEncoder({ label: 'ceiling copyBufferToBuffer' });
      for (let i = 0; i < n; i++) encoder.copyBufferToBuffer(src, 0, dst, 0, bytes);
      device.queue.submit([encoder.finish()]);
    }, count, roundMs);

    const module = device.createShaderModule({ label: 'ceiling copy', code: COPY_WGSL });
    const pipeline = await device.createComputePipelineAsync({ label: 'ceiling copy', layout: 'auto', compute: { module, entryPoint: 'main' } });
    const bindGroup = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: src } }, { binding: 1, resource: { buffer: dst } }] });
    const [x, y] = linearGrid(bytes / 16, 256);
    const call: KernelCall = { label: 'copy kernel', pipeline, bindGroup, workgroups: [x, y, 1], flops: 0, bytes: 2 * bytes };
    const kernelCopies = await rounds(gpu, (n) => submitRepeated(gpu, call, n), count, roundMs);
    return { copyGbps: (2 * bytes) / (copies.best * 1e6), kernelCopyGbps: (2 * bytes) / (kernelCopies.best * 1e6) };
  } finally {
    src.destroy();
    dst.destroy();
  }
}

/** The plan matmul() ran for `shape` on this device (the tuner's choice, else the cost model's), naming the subgroup entry point when it ran that. */
function sharedPlanName(gpu: Gpu, shape: MatmulShape): string {
  const variant = tuningChoices(gpu).find((c) => c.family === 'matmul' && c.shape === `${shape.m}x${shape.k}x${shape.n}`)?.variant ?? matmulDefaultVariant(gpu, shape);
  const plan = matmulPlanFor(shape, matmulVariantChoice(shape, variant));
  return eightLaneSubgroups(gpu) && plan.subgroups ? `${plan.name} as main_sg` : plan.name;
}
