import type { Gpu } from './device';
import type { KernelCall } from './kernel';

/**
 * Per-kernel GPU time of a list of dispatches (a compiled training step, say), for the command
 * line's `profile` and the browser demo alike: no Node APIs here.
 *
 * With 'timestamp-query', each KernelCall is recorded in its own compute pass with `timestampWrites`
 * (begin and end), every run resolves into its own range of one query buffer, and that buffer is
 * read once at the end, so nothing in between waits for the CPU. Without the feature, each dispatch
 * is submitted alone and timed on the wall clock from submit to `onSubmittedWorkDone`, less the
 * fastest same round trip with nothing in it: coarser, and it includes per-submit costs the real step
 * (one pass, one submit) does not pay.
 *
 * Either way each kernel runs here in a pass of its own, which costs a little more than the same
 * dispatch inside a step's single pass (on lavapipe, tens of µs per timestamped pass), so the sum of
 * the rows can exceed a real step's time. `emptyPassMs`, a no-op dispatch measured the same way in
 * every run, is that floor; `spanMs` and the caller's own wall clock of a real step tell the rest.
 */

/** How kernels were timed: 'timestamp' on the GPU's clock (timestamp-query), 'submit' on the wall clock per submit. */
export type ProfileMethod = 'timestamp' | 'submit';

/** How to profile: runs, warm-up and timing method. */
export interface ProfileOptions {
  /** Timed runs over all the calls, averaged; default 10. */
  repeats?: number;
  /** Untimed runs first (shader JIT, caches, buffer first-touch); default 2. */
  warmup?: number;
  /** 'auto' (default): timestamps when the device has 'timestamp-query', else one submit per dispatch. */
  method?: 'auto' | ProfileMethod;
  /** Runs before each run, warm-up or timed, e.g. to write the uniforms a real step writes. */
  beforeRun?: (run: number) => void;
}

/** One dispatch's GPU time over the timed runs, in ms, and the rates it reached. */
export interface KernelTiming {
  /** Position in the call list. */
  index: number;
  label: string;
  /** The pipeline's shader and entry point ('matmul:main'), from its label; '' when unknown. */
  shader: string;
  /** Mean GPU time over the timed runs, ms. */
  ms: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
  /** ms / the sum of every row's ms. */
  share: number;
  /** From the call's flops and bytes (reads + writes) over `ms`; 0 when the call declares none. */
  gflops: number;
  gbps: number;
  flops: number;
  bytes: number;
  workgroups: readonly [number, number, number];
}

/** The GPU time of each dispatch of a list (one row each) and of the list as a whole, in ms per run. */
export interface Profile {
  method: ProfileMethod;
  repeats: number;
  warmup: number;
  /** One row per KernelCall, in call order. */
  rows: KernelTiming[];
  /** Sum of the rows' mean times: GPU time inside kernels per run. */
  kernelMs: number;
  /**
   * Mean time per run from the first kernel's start to the last one's end (timestamps), or the sum
   * of the per-dispatch round trips (submit); includes the gaps between passes.
   */
  spanMs: number;
  /**
   * Mean time of the same calls recorded in one pass, as a training step records them, measured the
   * same way in every run (first start to last end of that pass, or its submit round trip less an
   * empty one's): what the rows' sum compares against.
   */
  stepMs: number;
  /** Granularity of the timestamps in ns when they were visibly quantised (e.g. 65,536), else 0. */
  quantumNs: number;
  /**
   * Mean time of a pass holding one no-op dispatch of one workgroup, measured the same way in every
   * run: the floor under every row (per-pass and per-dispatch costs of the driver, e.g. lavapipe's).
   */
  emptyPassMs: number;
  /** The medians over the runs of spanMs, stepMs and emptyPassMs (which are means). */
  medians: { spanMs: number; stepMs: number; emptyPassMs: number };
}

/** WebGPU caps a query set at 4,096 queries: 2,048 calls of two timestamps each per set. */
const MAX_QUERIES = 4096;
/** resolveQuerySet's destination offset must be a multiple of 256 bytes. */
const RESOLVE_ALIGN = 256;

export async function profileCalls(gpu: Gpu, calls: readonly KernelCall[], options: ProfileOptions = {}): Promise<Profile> {
  const repeats = Math.max(1, Math.floor(options.repeats ?? 10));
  const warmup = Math.max(0, Math.floor(options.warmup ?? 2));
  const hasTimestamps = gpu.features.has('timestamp-query');
  const wanted = options.method ?? 'auto';
  if (wanted === 'timestamp' && !hasTimestamps) {
    throw new Error("Timestamp profiling needs the 'timestamp-query' feature, which this device does not have.");
  }
  const method: ProfileMethod = wanted === 'auto' ? (hasTimestamps ? 'timestamp' : 'submit') : wanted;
  if (calls.length === 0) {
    return { method, repeats, warmup, rows: [], kernelMs: 0, spanMs: 0, stepMs: 0, quantumNs: 0, emptyPassMs: 0, medians: { spanMs: 0, stepMs: 0, emptyPassMs: 0 } };
  }
  // A no-op rides along as the last call of every run; it is reported apart, not as a row.
  const all = [...calls, await noopCall(gpu)];

  for (let w = 0; w < warmup; w++) {
    options.beforeRun?.(w);
    const encoder = gpu.device.createCommandEncoder({ label: 'profile warm-up' });
    for (const c of all) encodeOne(encoder, c);
    gpu.device.queue.submit([encoder.finish()]);
    await gpu.device.queue.onSubmittedWorkDone();
  }

  const samples = method === 'timestamp'
    ? await timestampSamples(gpu, all, repeats, warmup, options.beforeRun)
    : await submitSamples(gpu, all, repeats, warmup, options.beforeRun);
  const empty = samples.perCall.pop()!;
  const profile = buildProfile(method, repeats, warmup, calls, samples.perCall, samples.spans, samples.quantumNs, mean(empty));
  return { ...profile, stepMs: mean(samples.steps), medians: { spanMs: mid(samples.spans), stepMs: mid(samples.steps), emptyPassMs: mid(empty) } };
}

/** One workgroup touching one word: as close to an empty dispatch as a pass with a binding gets. */
const NOOP_WGSL = `@group(0) @binding(0) var<storage, read_write> word: array<u32>;
@compute @workgroup_size(1) fn main() { word[0] = word[0] + 1u; }`;
const noops = new WeakMap<GPUDevice, Promise<KernelCall>>();

function noopCall(gpu: Gpu): Promise<KernelCall> {
  const { device } = gpu;
  let call = noops.get(device);
  if (!call) {
    call = (async () => {
      const module = device.createShaderModule({ label: 'profiler no-op', code: NOOP_WGSL });
      const pipeline = await device.createComputePipelineAsync({ label: 'profiler:noop', layout: 'auto', compute: { module, entryPoint: 'main' } });
      const word = device.createBuffer({ label: 'profiler no-op', size: 4, usage: GPUBufferUsage.STORAGE });
      const bindGroup = device.createBindGroup({ label: 'profiler no-op', layout: pipeline.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: word } }] });
      return { label: 'no-op', pipeline, bindGroup, workgroups: [1, 1, 1] as const, flops: 0, bytes: 0 };
    })();
    noops.set(device, call);
  }
  return call;
}

/**
 * Samplers take the calls with the no-op last, and leave it out of the spans. Each run also records
 * the real calls (no no-op) once more in a single pass, as a training step records them.
 */
interface Samples {
  /** perCall[i][r]: ms of call i in run r. */
  perCall: number[][];
  /** One per run. */
  spans: number[];
  /** One per run: all the real calls in one pass. */
  steps: number[];
  quantumNs: number;
}

function encodeAll(encoder: GPUCommandEncoder, calls: readonly KernelCall[], timestampWrites?: GPUComputePassTimestampWrites): void {
  const pass = encoder.beginComputePass(timestampWrites ? { label: 'profile step', timestampWrites } : { label: 'profile step' });
  for (const c of calls) {
    pass.setPipeline(c.pipeline);
    pass.setBindGroup(0, c.bindGroup);
    pass.dispatchWorkgroups(...c.workgroups);
  }
  pass.end();
}

function encodeOne(encoder: GPUCommandEncoder, c: KernelCall, timestampWrites?: GPUComputePassTimestampWrites): void {
  const pass = encoder.beginComputePass(timestampWrites ? { label: c.label, timestampWrites } : { label: c.label });
  pass.setPipeline(c.pipeline);
  pass.setBindGroup(0, c.bindGroup);
  pass.dispatchWorkgroups(...c.workgroups);
  pass.end();
}

async function timestampSamples(
  gpu: Gpu, calls: readonly KernelCall[], repeats: number, firstRun: number, beforeRun?: (run: number) => void,
): Promise<Samples> {
  const { device } = gpu;
  const perSet = MAX_QUERIES / 2;
  const sets: GPUQuerySet[] = [];
  for (let start = 0; start < calls.length; start += perSet) {
    sets.push(device.createQuerySet({ label: 'profile timestamps', type: 'timestamp', count: 2 * Math.min(perSet, calls.length - start) }));
  }
  const whole = device.createQuerySet({ label: 'profile step timestamps', type: 'timestamp', count: 2 });
  // Per run: the calls' stamps, then (aligned) the single-pass step's two stamps.
  const callBytes = Math.ceil((calls.length * 2 * 8) / RESOLVE_ALIGN) * RESOLVE_ALIGN;
  const runBytes = callBytes + RESOLVE_ALIGN;
  const resolve = device.createBuffer({ label: 'profile resolve', size: runBytes * repeats, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
  const staging = device.createBuffer({ label: 'profile read', size: runBytes * repeats, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  try {
    for (let r = 0; r < repeats; r++) {
      beforeRun?.(firstRun + r);
      const encoder = device.createCommandEncoder({ label: 'profile run' });
      sets.forEach((querySet, s) => {
        const start = s * perSet;
        const end = Math.min(calls.length, start + perSet);
        for (let i = start; i < end; i++) {
          encodeOne(encoder, calls[i]!, { querySet, beginningOfPassWriteIndex: 2 * (i - start), endOfPassWriteIndex: 2 * (i - start) + 1 });
        }
        // perSet * 16 bytes is a multiple of 256, so each set's range stays aligned.
        encoder.resolveQuerySet(querySet, 0, 2 * (end - start), resolve, r * runBytes + start * 16);
      });
      encodeAll(encoder, calls.slice(0, -1), { querySet: whole, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 });
      encoder.resolveQuerySet(whole, 0, 2, resolve, r * runBytes + callBytes);
      if (r === repeats - 1) encoder.copyBufferToBuffer(resolve, 0, staging, 0, staging.size);
      device.queue.submit([encoder.finish()]);
    }
    await staging.mapAsync(GPUMapMode.READ);
    const stamps = new BigUint64Array(staging.getMappedRange().slice(0));
    staging.unmap();

    const perCall: number[][] = calls.map(() => []);
    const spans: number[] = [];
    const steps: number[] = [];
    const all: bigint[] = [];
    const elapsed = (begin: bigint, end: bigint) => (end > begin ? Number(end - begin) / 1e6 : 0);
    for (let r = 0; r < repeats; r++) {
      const base = (r * runBytes) / 8;
      steps.push(elapsed(stamps[base + callBytes / 8]!, stamps[base + callBytes / 8 + 1]!));
      let first: bigint | null = null;
      let last: bigint | null = null;
      for (let i = 0; i < calls.length; i++) {
        const begin = stamps[base + 2 * i]!;
        const end = stamps[base + 2 * i + 1]!;
        all.push(begin, end);
        perCall[i]!.push(elapsed(begin, end));
        if (i === calls.length - 1) continue; // the trailing no-op is not part of the span
        if (first === null || begin < first) first = begin;
        if (last === null || end > last) last = end;
      }
      spans.push(first !== null && last !== null && last > first ? Number(last - first) / 1e6 : 0);
    }
    return { perCall, spans, steps, quantumNs: quantum(all) };
  } finally {
    resolve.destroy();
    staging.destroy();
    whole.destroy();
    for (const s of sets) s.destroy();
  }
}

/** The largest power of two (from 1,024 ns up) dividing every timestamp, or 0: Dawn quantises timestamps by default. */
function quantum(stamps: readonly bigint[]): number {
  const nonzero = stamps.filter((s) => s !== 0n);
  if (nonzero.length < 4) return 0;
  let q = 0;
  for (let bits = 10n; bits <= 24n; bits++) {
    const p = 1n << bits;
    if (nonzero.every((s) => s % p === 0n)) q = Number(p);
    else break;
  }
  return q;
}

async function submitSamples(
  gpu: Gpu, calls: readonly KernelCall[], repeats: number, firstRun: number, beforeRun?: (run: number) => void,
): Promise<Samples> {
  const { device } = gpu;
  // The round trip of an empty submit: what every timed dispatch pays on top of its own work. Its
  // fastest sample, not a typical one: a host stall while measuring it (CI's loaded machines have
  // them) would otherwise be subtracted from every kernel, down to zero.
  let baseline = Infinity;
  for (let i = 0; i < 8; i++) {
    const t = performance.now();
    device.queue.submit([device.createCommandEncoder().finish()]);
    await device.queue.onSubmittedWorkDone();
    baseline = Math.min(baseline, performance.now() - t);
  }

  const perCall: number[][] = calls.map(() => []);
  const spans: number[] = [];
  const steps: number[] = [];
  for (let r = 0; r < repeats; r++) {
    beforeRun?.(firstRun + r);
    let span = 0;
    for (let i = 0; i < calls.length; i++) {
      const encoder = device.createCommandEncoder({ label: 'profile dispatch' });
      encodeOne(encoder, calls[i]!);
      const t = performance.now();
      device.queue.submit([encoder.finish()]);
      await device.queue.onSubmittedWorkDone();
      const ms = performance.now() - t;
      if (i < calls.length - 1) span += ms; // the trailing no-op is not part of the span
      perCall[i]!.push(Math.max(0, ms - baseline));
    }
    spans.push(span);
    const encoder = device.createCommandEncoder({ label: 'profile step' });
    encodeAll(encoder, calls.slice(0, -1));
    const t = performance.now();
    device.queue.submit([encoder.finish()]);
    await device.queue.onSubmittedWorkDone();
    steps.push(Math.max(0, performance.now() - t - baseline));
  }
  return { perCall, spans, steps, quantumNs: 0 };
}

function buildProfile(
  method: ProfileMethod, repeats: number, warmup: number, calls: readonly KernelCall[], perCall: number[][], spans: number[], quantumNs: number, emptyPassMs: number,
): Profile {
  const means = perCall.map(mean);
  const kernelMs = means.reduce((a, b) => a + b, 0);
  const rows = calls.map((c, index): KernelTiming => {
    const ms = means[index]!;
    const v = perCall[index]!;
    return {
      index,
      label: c.label,
      shader: shaderOf(c),
      ms,
      medianMs: mid(v),
      minMs: Math.min(...v),
      maxMs: Math.max(...v),
      share: kernelMs > 0 ? ms / kernelMs : 0,
      gflops: ms > 0 ? c.flops / (ms * 1e6) : 0,
      gbps: ms > 0 ? c.bytes / (ms * 1e6) : 0,
      flops: c.flops,
      bytes: c.bytes,
      workgroups: c.workgroups,
    };
  });
  return { method, repeats, warmup, rows, kernelMs, spanMs: mean(spans), stepMs: 0, quantumNs, emptyPassMs, medians: { spanMs: 0, stepMs: 0, emptyPassMs: 0 } };
}

const mean = (v: readonly number[]) => v.reduce((a, b) => a + b, 0) / Math.max(1, v.length);
const mid = (v: readonly number[]) => {
  if (v.length === 0) return 0;
  const s = [...v].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
};

/**
 * The profile with each row's `ms` taken as its median over the runs instead of its mean (and the
 * shares, rates and total recomputed, and the span, step and empty pass as medians too): steadier
 * when other processes share the adapter's cores.
 */
export function medianProfile(profile: Profile): Profile {
  const kernelMs = profile.rows.reduce((a, r) => a + r.medianMs, 0);
  const rows = profile.rows.map((r) => ({
    ...r,
    ms: r.medianMs,
    share: kernelMs > 0 ? r.medianMs / kernelMs : 0,
    gflops: r.medianMs > 0 ? r.flops / (r.medianMs * 1e6) : 0,
    gbps: r.medianMs > 0 ? r.bytes / (r.medianMs * 1e6) : 0,
  }));
  return { ...profile, rows, kernelMs, ...profile.medians };
}

/** kernel() labels pipelines `shader:entry:{constants}`. */
function shaderOf(c: KernelCall): string {
  const label = c.pipeline.label ?? '';
  const parts = label.split(':');
  return parts.length >= 2 ? `${parts[0]}:${parts[1]}` : '';
}

/** The rows, slowest first (ties in call order). */
export function byTime(profile: Profile): KernelTiming[] {
  return [...profile.rows].sort((a, b) => b.ms - a.ms || a.index - b.index);
}

/** Group key for groupProfile, its default: the shader and entry point ('matmul:main'), to see time per kernel. */
export const byShader = (r: KernelTiming): string => r.shader || r.label;
/** Group key for groupProfile: the layer's name (the label's first word), to see time per layer. */
export const byLayer = (r: KernelTiming): string => r.label.split(/\s+/)[0] ?? r.label;

/**
 * Rows merged by a key (by default the shader: 'matmul:main', 'conv2d:backward_filter', ...), with
 * times, flops and bytes added up; slowest first. Tells which kernel a step spends its time in.
 */
export function groupProfile(profile: Profile, key: (row: KernelTiming) => string = byShader): KernelTiming[] {
  const groups = new Map<string, KernelTiming>();
  for (const r of profile.rows) {
    const k = key(r);
    const g = groups.get(k);
    if (!g) {
      groups.set(k, { ...r, label: k });
      continue;
    }
    g.ms += r.ms;
    g.medianMs += r.medianMs;
    g.minMs += r.minMs;
    g.maxMs += r.maxMs;
    g.flops += r.flops;
    g.bytes += r.bytes;
  }
  const out = [...groups.values()];
  for (const g of out) {
    g.share = profile.kernelMs > 0 ? g.ms / profile.kernelMs : 0;
    g.gflops = g.ms > 0 ? g.flops / (g.ms * 1e6) : 0;
    g.gbps = g.ms > 0 ? g.bytes / (g.ms * 1e6) : 0;
  }
  return out.sort((a, b) => b.ms - a.ms || a.index - b.index);
}

/** The profile as a table of strings (slowest first), for a terminal or an HTML table. */
export function profileTable(profile: Profile, rows: readonly KernelTiming[] = byTime(profile)): { headers: string[]; rows: string[][] } {
  const num = (v: number, digits: number) => (v > 0 ? v.toFixed(digits) : '-');
  return {
    headers: ['#', 'kernel', 'ms', 'share', 'GFLOP/s', 'GB/s'],
    rows: [
      ...rows.map((r) => [String(r.index), r.label, r.ms.toFixed(3), `${(r.share * 100).toFixed(1)}%`, num(r.gflops, 2), num(r.gbps, 2)]),
      ['', 'total (sum of kernels)', profile.kernelMs.toFixed(3), '100.0%', num(sumFlops(rows) / (profile.kernelMs * 1e6), 2), num(sumBytes(rows) / (profile.kernelMs * 1e6), 2)],
    ],
  };
}

const sumFlops = (rows: readonly KernelTiming[]) => rows.reduce((a, r) => a + r.flops, 0);
const sumBytes = (rows: readonly KernelTiming[]) => rows.reduce((a, r) => a + r.bytes, 0);
