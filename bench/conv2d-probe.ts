/**
 * Times the three conv2d kernels at the CNN's two layer shapes (batch 64): 20 dispatches in one
 * submit after a warm-up, wall clock around submit and onSubmittedWorkDone, best of 3 rounds; also the
 * CPU time of this process (lavapipe's worker threads run in it), which other processes on the
 * shared cores disturb much less: compare GFLOP/CPU-s between runs. A 512x512x512 matmul runs first
 * as a yardstick. "first run ms" includes the shader compile unless Mesa's disk cache already has
 * the pipeline (MESA_SHADER_CACHE_DISABLE=true measures it).
 * Each pass runs in every plan variant (the 8x8 fallback and the subgroup block sizes its shape
 * allows), with the variants' rounds interleaved so that load from other processes hits them alike.
 * Run: npx vite-node bench/conv2d-probe.ts [repeats] [variant filter, e.g. 'sg16']
 */
import { requestGpu, describeGpu } from '../src/gpu/device';
import { storageBuffer, writeBuffer } from '../src/gpu/buffers';
import { submitCalls, type KernelCall } from '../src/gpu/kernel';
import {
  conv2dBackwardFilter,
  conv2dBackwardInput,
  conv2dForward,
  conv2dGeometry,
  type Conv2dPlanChoice,
  type Conv2dShape,
} from '../src/kernels/conv2d';
import { matmul } from '../src/kernels/matmul';

const REPEATS = Number(process.argv[2] ?? 20);
const FILTER = process.argv[3] ?? '';
const ROUNDS = 3;
const BATCH = 64;
const LAYERS: [string, Conv2dShape][] = [
  ['conv1 28x28x1->64', { h: 28, w: 28, cin: 1, kh: 3, kw: 3, cout: 64, padding: 'same' }],
  ['conv2 14x14x64->32', { h: 14, w: 14, cin: 64, kh: 3, kw: 3, cout: 32, padding: 'same' }],
];

const gpu = await requestGpu();
console.log(describeGpu(gpu));

function filled(label: string, count: number): GPUBuffer {
  const data = new Float32Array(count).map((_, i) => Math.sin(i));
  const b = storageBuffer(gpu, label, count * 4);
  writeBuffer(gpu, b, data);
  return b;
}

interface Timing { compileMs: number; ms: number; cpuMs: number }

/** One dispatch (the first compiles the pipeline unless Mesa's disk cache has it), timed. */
async function firstRun(call: KernelCall): Promise<number> {
  const t = performance.now();
  submitCalls(gpu, [call]);
  await gpu.device.queue.onSubmittedWorkDone();
  return performance.now() - t;
}

/**
 * ROUNDS rounds of REPEATS dispatches in one submit for each call, the calls' rounds interleaved;
 * best wall-clock ms and best CPU ms of this process (lavapipe's worker threads run in it) per call.
 */
async function timeInterleaved(calls: KernelCall[]): Promise<Timing[]> {
  const out: Timing[] = [];
  for (const call of calls) out.push({ compileMs: await firstRun(call), ms: Infinity, cpuMs: Infinity });
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, call] of calls.entries()) {
      const cpu = process.cpuUsage();
      const t = performance.now();
      submitCalls(gpu, new Array<KernelCall>(REPEATS).fill(call));
      await gpu.device.queue.onSubmittedWorkDone();
      const o = out[i]!;
      o.ms = Math.min(o.ms, (performance.now() - t) / REPEATS);
      const used = process.cpuUsage(cpu);
      o.cpuMs = Math.min(o.cpuMs, (used.user + used.system) / 1000 / REPEATS);
    }
  }
  return out;
}

function row(layer: string, name: string, call: KernelCall, t: Timing): string[] {
  const gflops = (ms: number) => (call.flops / ms / 1e6).toFixed(2);
  return [layer, name, (call.flops / 1e6).toFixed(1), t.compileMs.toFixed(0), t.ms.toFixed(2), gflops(t.ms), t.cpuMs.toFixed(2), gflops(t.cpuMs)];
}

const VARIANTS: [string, Conv2dPlanChoice][] = [
  ['8x8', { subgroups: false }],
  ['sg8', { subgroups: true, sgRows: 8 }],
  ['sg16', { subgroups: true, sgRows: 16 }],
  ['sg32', { subgroups: true, sgRows: 32 }],
];

const rows: string[][] = [['layer', 'kernel', 'MFLOP', 'first run ms', 'ms', 'GFLOP/s', 'CPU ms', 'GFLOP/CPU-s']];
{
  const n = 512;
  const [a, b, c] = ['a', 'b', 'c'].map((l) => filled(l, n * n)) as [GPUBuffer, GPUBuffer, GPUBuffer];
  const call = await matmul(gpu, { m: n, n, k: n }, { a, b, c });
  rows.push(row('yardstick', 'matmul 512x512x512', call, (await timeInterleaved([call]))[0]!));
}
for (const [name, shape] of LAYERS) {
  const g = conv2dGeometry(shape);
  const x = filled('x', BATCH * g.h * g.w * g.cin);
  const w = filled('w', g.kh * g.kw * g.cin * g.cout);
  const bias = filled('bias', g.cout);
  const y = filled('y', BATCH * g.oh * g.ow * g.cout);
  const dy = filled('dy', BATCH * g.oh * g.ow * g.cout);
  const dx = filled('dx', BATCH * g.h * g.w * g.cin);
  const dw = filled('dw', g.kh * g.kw * g.cin * g.cout);
  const passes: [string, (c: Conv2dPlanChoice) => Promise<KernelCall>][] = [
    ['forward (bias+relu)', (c) => conv2dForward(gpu, shape, BATCH, { x, w, y }, { kind: 'bias-act', bias, act: 'relu' }, undefined, c)],
    ['backward_input (gate relu)', (c) => conv2dBackwardInput(gpu, shape, BATCH, { dy, w, dx }, { kind: 'gate', y: x, act: 'relu' }, undefined, c)],
    ['backward_filter', (c) => conv2dBackwardFilter(gpu, shape, BATCH, { x, dy, dw }, undefined, c)],
  ];
  for (const [passName, make] of passes) {
    const calls: [string, KernelCall][] = [];
    for (const [variant, choice] of VARIANTS) {
      if (FILTER && !variant.includes(FILTER) && variant !== '8x8') continue;
      try {
        calls.push([variant, await make(choice)]);
      } catch {
        // this pass and shape cannot take the variant (e.g. cin % 4 != 0 has no subgroup path)
      }
    }
    const timings = await timeInterleaved(calls.map(([, c]) => c));
    calls.forEach(([variant, call], i) => rows.push(row(name, `${passName} ${variant}`, call, timings[i]!)));
  }
}

const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
for (const r of rows) console.log(r.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  '));
gpu.release();
