/**
 * Times matmul() at the shapes the seed models run per training step (forward, input gradient with
 * transB, weight gradient with transA), plus 512 and 1024 square: a warm-up dispatch (which also
 * pays the shader compile), then the best of ROUNDS rounds of REPEATS dispatches in one submit,
 * wall clock around submit and onSubmittedWorkDone. Also prints the CPU time of this process
 * (lavapipe's worker threads run in it), which other processes on the shared cores disturb much
 * less than the wall clock: compare GFLOP/CPU-s between runs, and wall-clock ms within one run.
 *
 * Run: npx vite-node bench/matmul-probe.ts [repeats] [filter]
 *   filter: only shapes whose row label contains it (e.g. `mlp`, `square`, `transA`).
 */
import { acquireGpu, describeGpu } from '../src/gpu/device';
import { storageBuffer, writeBuffer } from '../src/gpu/buffers';
import { submitCalls, type KernelCall } from '../src/gpu/kernel';
import { matmul, matmulPlan, type MatmulEpilogue, type MatmulShape } from '../src/kernels/matmul';

const REPEATS = Number(process.argv[2] ?? 20);
const FILTER = process.argv[3] ?? '';
const ROUNDS = 3;

type Case = [model: string, shape: MatmulShape, epilogue: 'bias-relu' | 'gate-relu' | 'none'];
const fwd = (model: string, m: number, k: number, n: number): Case => [model, { m, n, k }, 'bias-relu'];
const dX = (model: string, batch: number, inF: number, outF: number): Case => [model, { m: batch, n: inF, k: outF, transB: true }, 'gate-relu'];
const dW = (model: string, batch: number, inF: number, outF: number): Case => [model, { m: inF, n: outF, k: batch, transA: true }, 'none'];

const CASES: Case[] = [
  // mlp: 784-512-256-128-10, batch 256 (the first layer has no input gradient)
  fwd('mlp', 256, 784, 512), fwd('mlp', 256, 512, 256), fwd('mlp', 256, 256, 128), fwd('mlp', 256, 128, 10),
  dX('mlp', 256, 128, 10), dX('mlp', 256, 256, 128), dX('mlp', 256, 512, 256),
  dW('mlp', 256, 784, 512), dW('mlp', 256, 512, 256), dW('mlp', 256, 256, 128), dW('mlp', 256, 128, 10),
  // one-hidden: 784-128-10, batch 32
  fwd('one-hidden', 32, 784, 128), fwd('one-hidden', 32, 128, 10),
  dX('one-hidden', 32, 128, 10),
  dW('one-hidden', 32, 784, 128), dW('one-hidden', 32, 128, 10),
  // cnn's dense head: 1568-256-10, batch 64 (its input gradient feeds the conv stack)
  fwd('cnn', 64, 1568, 256), fwd('cnn', 64, 256, 10),
  dX('cnn', 64, 256, 10), dX('cnn', 64, 1568, 256),
  dW('cnn', 64, 1568, 256), dW('cnn', 64, 256, 10),
  // yardsticks
  ...[512, 1024].flatMap((s) => (['plain', 'transA', 'transB'] as const).map((v): Case =>
    ['square', { m: s, n: s, k: s, transA: v === 'transA', transB: v === 'transB' }, 'none'])),
];

const gpu = await acquireGpu();
console.log(describeGpu(gpu));

function filled(label: string, count: number): GPUBuffer {
  const data = new Float32Array(count).map((_, i) => Math.sin(i));
  const b = storageBuffer(gpu, label, count * 4);
  writeBuffer(gpu, b, data);
  return b;
}

interface Timing { compileMs: number; ms: number; cpuMs: number }

async function time(call: KernelCall): Promise<Timing> {
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

const variant = (s: MatmulShape) => (s.transA ? 'transA' : s.transB ? 'transB' : 'plain');
const rows: string[][] = [['model', 'shape (MxK·KxN)', 'variant', 'plan', 'MFLOP', 'first ms', 'ms', 'GFLOP/s', 'CPU ms', 'GFLOP/CPU-s']];
const totals = new Map<string, { ms: number; cpuMs: number; flops: number }>();
for (const [model, shape, epi] of CASES) {
  const { m, n, k } = shape;
  const label = `${model} ${m}x${k}·${k}x${n} ${variant(shape)}`;
  if (FILTER && !label.includes(FILTER)) continue;
  const [a, b, c, y, bias] = [filled('a', m * k), filled('b', k * n), filled('c', m * n), filled('y', m * n), filled('bias', n)];
  const epilogue: MatmulEpilogue =
    epi === 'bias-relu' ? { kind: 'bias-act', bias, act: 'relu' } : epi === 'gate-relu' ? { kind: 'gate', y, act: 'relu' } : { kind: 'none' };
  const call = await matmul(gpu, shape, { a, b, c }, epilogue);
  const t = await time(call);
  const gflops = (ms: number) => (call.flops / ms / 1e6).toFixed(2);
  rows.push([model, `${m}x${k}·${k}x${n}`, variant(shape), matmulPlan(shape).name, (call.flops / 1e6).toFixed(1),
    t.compileMs.toFixed(0), t.ms.toFixed(3), gflops(t.ms), t.cpuMs.toFixed(3), gflops(t.cpuMs)]);
  const tot = totals.get(model) ?? { ms: 0, cpuMs: 0, flops: 0 };
  totals.set(model, { ms: tot.ms + t.ms, cpuMs: tot.cpuMs + t.cpuMs, flops: tot.flops + call.flops });
  for (const buf of [a, b, c, y, bias]) buf.destroy();
}
for (const [model, t] of totals) {
  if (model === 'square') continue;
  rows.push([model, 'all matmuls of one step', '', '', (t.flops / 1e6).toFixed(1), '', t.ms.toFixed(3),
    (t.flops / t.ms / 1e6).toFixed(2), t.cpuMs.toFixed(3), (t.flops / t.cpuMs / 1e6).toFixed(2)]);
}

const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
for (const r of rows) console.log(r.map((cell, i) => (i < 4 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  '));
gpu.release();
