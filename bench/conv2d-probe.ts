/**
 * Times the three conv2d kernels at the CNN's two layer shapes (batch 64): 20 dispatches in one
 * submit after a warm-up, wall clock around submit and onSubmittedWorkDone, best of 3 rounds; also the
 * CPU time of this process (lavapipe's worker threads run in it), which other processes on the
 * shared cores disturb much less: compare GFLOP/CPU-s between runs. A 512x512x512 matmul runs first
 * as a yardstick. "first run ms" includes the shader compile unless Mesa's disk cache already has
 * the pipeline (MESA_SHADER_CACHE_DISABLE=true measures it).
 * Run: npx vite-node bench/conv2d-probe.ts [repeats]
 */
import { acquireGpu, describeGpu } from '../src/gpu/device';
import { storageBuffer, writeBuffer } from '../src/gpu/buffers';
import { submitCalls, type KernelCall } from '../src/gpu/kernel';
import { conv2dBackwardFilter, conv2dBackwardInput, conv2dForward, conv2dGeometry, type Conv2dShape } from '../src/kernels/conv2d';
import { matmul } from '../src/kernels/matmul';

const REPEATS = Number(process.argv[2] ?? 20);
const ROUNDS = 3;
const BATCH = 64;
const LAYERS: [string, Conv2dShape][] = [
  ['conv1 28x28x1->64', { h: 28, w: 28, cin: 1, kh: 3, kw: 3, cout: 64, padding: 'same' }],
  ['conv2 14x14x64->32', { h: 14, w: 14, cin: 64, kh: 3, kw: 3, cout: 32, padding: 'same' }],
];

const gpu = await acquireGpu();
console.log(describeGpu(gpu));

function filled(label: string, count: number): GPUBuffer {
  const data = new Float32Array(count).map((_, i) => Math.sin(i));
  const b = storageBuffer(gpu, label, count * 4);
  writeBuffer(gpu, b, data);
  return b;
}

/**
 * First run (compiles the shader), then the best of ROUNDS rounds of REPEATS dispatches in one
 * submit: wall-clock ms, and CPU ms of this process (lavapipe's worker threads run in it), which
 * other processes on the machine disturb much less than the wall clock.
 */
async function time(call: KernelCall): Promise<{ compileMs: number; ms: number; cpuMs: number }> {
  let t = performance.now();
  submitCalls(gpu, [call]);
  await gpu.device.queue.onSubmittedWorkDone();
  const compileMs = performance.now() - t;
  let ms = Infinity;
  let cpuMs = Infinity;
  for (let round = 0; round < ROUNDS; round++) {
    const cpu = process.cpuUsage();
    t = performance.now();
    submitCalls(gpu, new Array<KernelCall>(REPEATS).fill(call));
    await gpu.device.queue.onSubmittedWorkDone();
    ms = Math.min(ms, (performance.now() - t) / REPEATS);
    const used = process.cpuUsage(cpu);
    cpuMs = Math.min(cpuMs, (used.user + used.system) / 1000 / REPEATS);
  }
  return { compileMs, ms, cpuMs };
}

function row(layer: string, name: string, call: KernelCall, t: { compileMs: number; ms: number; cpuMs: number }): string[] {
  const gflops = (ms: number) => (call.flops / ms / 1e6).toFixed(2);
  return [layer, name, (call.flops / 1e6).toFixed(1), t.compileMs.toFixed(0), t.ms.toFixed(2), gflops(t.ms), t.cpuMs.toFixed(2), gflops(t.cpuMs)];
}

const rows: string[][] = [['layer', 'kernel', 'MFLOP', 'first run ms', 'ms', 'GFLOP/s', 'CPU ms', 'GFLOP/CPU-s']];
{
  const n = 512;
  const [a, b, c] = ['a', 'b', 'c'].map((l) => filled(l, n * n)) as [GPUBuffer, GPUBuffer, GPUBuffer];
  const call = await matmul(gpu, { m: n, n, k: n }, { a, b, c });
  rows.push(row('yardstick', 'matmul 512x512x512', call, await time(call)));
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
  const calls: [string, KernelCall][] = [
    ['forward (bias+relu)', await conv2dForward(gpu, shape, BATCH, { x, w, y }, { kind: 'bias-act', bias, act: 'relu' })],
    ['backward_input (gate relu)', await conv2dBackwardInput(gpu, shape, BATCH, { dy, w, dx }, { kind: 'gate', y: x, act: 'relu' })],
    ['backward_filter', await conv2dBackwardFilter(gpu, shape, BATCH, { x, dy, dw })],
  ];
  for (const [kernelName, call] of calls) {
    rows.push(row(name, kernelName, call, await time(call)));
  }
}

const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
for (const r of rows) console.log(r.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  '));
gpu.release();
