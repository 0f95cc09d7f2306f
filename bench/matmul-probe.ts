/**
 * Times matmul() at the shapes the seed models run per training step (forward, input gradient with
 * transB, weight gradient with transA), plus 512 and 1024 square: a warm-up dispatch (which also
 * pays the shader compile), then the best of ROUNDS rounds of dispatches in one submit, wall clock
 * around submit and onSubmittedWorkDone. Also prints the CPU time of this process (lavapipe's
 * worker threads run in it), which other processes on the shared cores disturb much less than the
 * wall clock: compare GFLOP/CPU-s between runs, and wall-clock ms only within one quiet run.
 *
 * Each shape runs first without subgroups, then, on a device with 8-lane subgroups, as
 * shaders/matmul_subgroups.wgsl's main_sg with 8- and 16-row blocks (the rows of one operand
 * shared across each subgroup instead of loaded in every lane; bench/NOTES.md, "matmul"), with --tiled
 * also as shaders/matmul_tiled.wgsl with each workgroup tile of src/kernels/tile.ts.
 *
 * Last, per model, the step's matmuls as matmul() plans them, all in one submit in step order,
 * against the sum of each timed alone: whether a kernel is slower after other kernels than after
 * itself (operands pushed out of the caches) shows as the first exceeding the second.
 *
 * Run: npx vite-node bench/matmul-probe.ts [filter] [--tiled]
 *   filter: only rows whose label contains it (e.g. `mlp`, `square`, `transA`).
 */
import { requestGpu, describeGpu, eightLaneSubgroups } from '../src/gpu/device';
import { storageBuffer, writeBuffer } from '../src/gpu/buffers';
import { kernel, submitCalls, type KernelCall } from '../src/gpu/kernel';
import { matmul, matmulPlan, matmulPlanFor, matmulSpec, type MatmulEpilogue, type MatmulPlan, type MatmulPlanChoice, type MatmulShape } from '../src/kernels/matmul';
import { TILES } from '../src/kernels/tile';

const FILTER = process.argv.slice(2).find((a) => !a.startsWith('--')) ?? '';
/** --tiled: also time the workgroup-memory tiles (~30x slower than main_sg on lavapipe: seconds per 1024³ dispatch). */
const TILED = process.argv.includes('--tiled');
const ROUNDS = 3;
/** Dispatches per round: about 1 GFLOP, between 3 and 20. */
const repeatsFor = (flops: number) => Math.max(3, Math.min(20, Math.round(1e9 / flops)));

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

/** The free choices of a plan (to re-plan it with subgroups off or on). */
const pick = (p: MatmulPlan): MatmulPlanChoice => ({ swap: p.swap, tu: p.tu, wg: p.wg });

const gpu = await requestGpu();
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
  const repeats = repeatsFor(call.flops);
  let ms = Infinity;
  let cpuMs = Infinity;
  for (let round = 0; round < ROUNDS; round++) {
    const cpu = process.cpuUsage();
    t = performance.now();
    submitCalls(gpu, new Array<KernelCall>(repeats).fill(call));
    await gpu.device.queue.onSubmittedWorkDone();
    ms = Math.min(ms, (performance.now() - t) / repeats);
    const used = process.cpuUsage(cpu);
    cpuMs = Math.min(cpuMs, (used.user + used.system) / 1000 / repeats);
  }
  return { compileMs, ms, cpuMs };
}

const variant = (s: MatmulShape) => (s.transA ? 'transA' : s.transB ? 'transB' : 'plain');
const gflops = (flops: number, ms: number) => (flops / ms / 1e6).toFixed(2);
const header = ['model', 'shape (MxK·KxN)', 'variant', 'plan', 'MFLOP', 'first ms', 'ms', 'GFLOP/s', 'CPU ms', 'GFLOP/CPU-s'];
const rows: string[][] = [header];
const totals = new Map<string, { ms: number; cpuMs: number; flops: number }>();
const add = (key: string, flops: number, t: Timing) => {
  const tot = totals.get(key) ?? { ms: 0, cpuMs: 0, flops: 0 };
  totals.set(key, { ms: tot.ms + t.ms, cpuMs: tot.cpuMs + t.cpuMs, flops: tot.flops + flops });
};
const row = (model: string, shape: MatmulShape, plan: string, flops: number, t: Timing) => {
  const { m, n, k } = shape;
  rows.push([model, `${m}x${k}·${k}x${n}`, variant(shape), plan, (flops / 1e6).toFixed(1), t.compileMs.toFixed(0),
    t.ms.toFixed(3), gflops(flops, t.ms), t.cpuMs.toFixed(3), gflops(flops, t.cpuMs)]);
};

/** Each model's matmuls as matmul() runs them, in step order, with their time alone; buffers live until the sequences ran. */
const stepCalls = new Map<string, { call: KernelCall; alone: number }[]>();
const buffers: GPUBuffer[] = [];
for (const [model, shape, epi] of CASES) {
  const { m, n, k } = shape;
  if (FILTER && !`${model} ${m}x${k}·${k}x${n} ${variant(shape)}`.includes(FILTER)) continue;
  const [a, b, c, y, bias] = [filled('a', m * k), filled('b', k * n), filled('c', m * n), filled('y', m * n), filled('bias', n)];
  const epilogue: MatmulEpilogue =
    epi === 'bias-relu' ? { kind: 'bias-act', bias, act: 'relu' } : epi === 'gate-relu' ? { kind: 'gate', y, act: 'relu' } : { kind: 'none' };
  // The planned kernel without subgroups (main_vec4 / main), then, where the plan allows and the
  // device has 8-lane subgroups, the subgroup-shared main_sg that matmul() runs by default.
  const plan = matmulPlanFor(shape, { ...pick(matmulPlan(shape)), subgroups: false });
  const spec = matmulSpec(gpu, shape, { a, b, c }, epilogue, 'matmul', plan);
  const flops = spec.flops!;
  const t = await time(await kernel(gpu, spec));
  row(model, shape, plan.name, flops, t);
  add(model, flops, t);
  let best = t;
  if (plan.entry === 'main_vec4' && eightLaneSubgroups(gpu)) {
    for (const tu of [8, 16]) {
      const sgPlan = matmulPlanFor(shape, { swap: plan.swap, tu, subgroups: true });
      const ts = await time(await kernel(gpu, matmulSpec(gpu, shape, { a, b, c }, epilogue, 'matmul', sgPlan)));
      row(model, shape, `  SG ${sgPlan.name.replace('main_vec4 ', '')}`, flops, ts);
      if (ts.cpuMs < best.cpuMs) best = ts;
    }
  }
  // The workgroup-memory tiles (shaders/matmul_tiled.wgsl), the tuner's candidates for real GPUs.
  for (const [name, tile] of TILED ? Object.entries(TILES) : []) {
    const tt = await time(await kernel(gpu, matmulSpec(gpu, shape, { a, b, c }, epilogue, 'matmul', matmulPlanFor(shape, { swap: false, tu: 4, tile }))));
    row(model, shape, `  ${name}`, flops, tt);
  }
  add(`${model} (SG)`, flops, best);
  const call = await matmul(gpu, shape, { a, b, c }, epilogue);
  stepCalls.set(model, [...(stepCalls.get(model) ?? []), { call, alone: (await time(call)).ms }]);
  buffers.push(a, b, c, y, bias);
}
for (const [model, t] of totals) {
  if (model.startsWith('square')) continue;
  rows.push([model, 'all matmuls of one step', '', model.endsWith('(SG)') ? 'best of in-tree / SG per shape' : 'in-tree',
    (t.flops / 1e6).toFixed(1), '', t.ms.toFixed(3), gflops(t.flops, t.ms), t.cpuMs.toFixed(3), gflops(t.flops, t.cpuMs)]);
}

const sequences: string[] = [];
for (const [model, list] of stepCalls) {
  if (model === 'square') continue;
  const calls = list.map((l) => l.call);
  let ms = Infinity;
  for (let round = 0; round < ROUNDS; round++) {
    const t = performance.now();
    submitCalls(gpu, Array.from({ length: 6 }, () => calls).flat());
    await gpu.device.queue.onSubmittedWorkDone();
    ms = Math.min(ms, (performance.now() - t) / 6);
  }
  const alone = list.reduce((sum, l) => sum + l.alone, 0);
  sequences.push(`${model}: its ${calls.length} matmuls in step order, one submit: ${ms.toFixed(2)} ms; each alone, summed: ${alone.toFixed(2)} ms`);
}
for (const buf of buffers) buf.destroy();

const widths = header.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
for (const r of rows) console.log(r.map((cell, i) => (i < 4 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  '));
for (const line of sequences) console.log(line);
gpu.release();
