/**
 * Times matmul() at the shapes the seed models run per training step (forward, input gradient with
 * transB, weight gradient with transA), plus 512 and 1024 square: a warm-up dispatch (which also
 * pays the shader compile), then the best of ROUNDS rounds of dispatches in one submit, wall clock
 * around submit and onSubmittedWorkDone. Also prints the CPU time of this process (lavapipe's
 * worker threads run in it), which other processes on the shared cores disturb much less than the
 * wall clock: compare GFLOP/CPU-s between runs, and wall-clock ms only within one quiet run.
 *
 * With subgroups (and subgroupMinSize >= 8) it also times an EXPERIMENTAL variant that is not in
 * the tree: SUBGROUP_ENTRY below, appended to shaders/matmul.wgsl, which shares the rows of A
 * across each 8-lane subgroup instead of loading them in every lane (bench/NOTES.md, "matmul").
 * It needs `enable subgroups;` at the top of the module, which src/gpu/shaders.ts cannot compose
 * yet, so the probe builds that module itself.
 *
 * Run: npx vite-node bench/matmul-probe.ts [filter]
 *   filter: only rows whose label contains it (e.g. `mlp`, `square`, `transA`).
 */
import { acquireGpu, describeGpu } from '../src/gpu/device';
import { storageBuffer, writeBuffer } from '../src/gpu/buffers';
import { shaderSource } from '../src/gpu/shaders';
import { kernel, submitCalls, type KernelCall, type KernelSpec } from '../src/gpu/kernel';
import { matmulPlan, matmulPlanFor, matmulSpec, type MatmulEpilogue, type MatmulShape } from '../src/kernels/matmul';

const FILTER = process.argv[2] ?? '';
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

/**
 * The experimental subgroup entry point (see the header). For each block of four k, every lane
 * loads one vec4 of U (the operand whose rows are the same for all lanes of the workgroup) for
 * 8 rows per subgroup, and subgroupShuffle hands each value to all lanes: U's loads per MAC drop
 * eightfold. Uses the helpers, bindings and epilogue of shaders/matmul.wgsl unchanged.
 */
const SUBGROUP_ENTRY = /* wgsl */ `
// U[u0 + i, k + kk] for i < 8, kk < 4, from the vec4 q each lane loaded with u_share_load.
fn u_shared(q: vec4f, i: u32, kk: u32) -> f32 {
  if (U_VEC == VEC_K) { return subgroupShuffle(q[kk], i); } // lane l holds row l, k..k+3
  return subgroupShuffle(q[i % 4u], i / 4u + 2u * kk); // lane l holds rows 4(l%2)..+3 at k + l/2
}

fn u_share_load(u0: u32, k: u32, lane: u32) -> vec4f {
  if (U_VEC == VEC_K) { return u_op4[u_at(min(u0 + lane, U_DIM - 1u), k) / 4u]; }
  let l = lane % 8u;
  return u_op4[u_at(min(u0 + 4u * (l % 2u), U_DIM - 4u), k + l / 2u) / 4u];
}

@compute @workgroup_size(WG)
fn main_sg(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u, @builtin(subgroup_invocation_id) lane: u32) {
  let u0 = wid.y * TU;
  let v0 = (wid.x * WG + lid.x) * 4u;
  var acc: array<vec4f, MAX_TU>;
  let k4 = K - K % 4u;
  for (var k = 0u; k < k4; k += 4u) {
    let vt = v_tile(v0, k);
    for (var g = 0u; g < TU; g += 8u) {
      let q = u_share_load(u0 + g, k, lane);
      for (var i = 0u; i < 8u; i++) {
        for (var kk = 0u; kk < 4u; kk++) { acc[g + i] = fma(vec4f(u_shared(q, i, kk)), vt[kk], acc[g + i]); }
      }
    }
  }
  let cols = cols4(v0);
  for (var k = k4; k < K; k++) {
    let vk = vec4f(v4_scalar(v_at(k, cols.x)), v4_scalar(v_at(k, cols.y)), v4_scalar(v_at(k, cols.z)), v4_scalar(v_at(k, cols.w)));
    for (var i = 0u; i < TU; i++) { acc[i] = fma(vec4f(u4_scalar(u_at(min(u0 + i, U_DIM - 1u), k))), vk, acc[i]); }
  }
  store(&acc, u0, v0);
}
`;

const gpu = await acquireGpu();
console.log(describeGpu(gpu));
const subgroups = gpu.features.has('subgroups') && ((gpu.adapter.info as { subgroupMinSize?: number }).subgroupMinSize ?? 0) >= 8;
const subgroupModule = subgroups
  ? gpu.device.createShaderModule({ label: 'matmul+subgroups', code: `enable subgroups;\n${shaderSource('matmul')}\n${SUBGROUP_ENTRY}` })
  : null;

/** A call of the experimental entry point with the override constants and bindings of `spec`. */
async function subgroupCall(spec: KernelSpec): Promise<KernelCall> {
  const pipeline = await gpu.device.createComputePipelineAsync({
    layout: 'auto', compute: { module: subgroupModule!, entryPoint: 'main_sg', constants: spec.constants ?? {} },
  });
  const entries = spec.bindings.map((b, binding) => ({ binding, resource: 'usage' in b ? { buffer: b } : b }));
  const bindGroup = gpu.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
  const [x, y = 1, z = 1] = spec.workgroups;
  return { label: `${spec.label} (subgroups)`, pipeline, bindGroup, workgroups: [x, y, z], flops: spec.flops ?? 0, bytes: spec.bytes ?? 0 };
}

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

for (const [model, shape, epi] of CASES) {
  const { m, n, k } = shape;
  if (FILTER && !`${model} ${m}x${k}·${k}x${n} ${variant(shape)}`.includes(FILTER)) continue;
  const [a, b, c, y, bias] = [filled('a', m * k), filled('b', k * n), filled('c', m * n), filled('y', m * n), filled('bias', n)];
  const epilogue: MatmulEpilogue =
    epi === 'bias-relu' ? { kind: 'bias-act', bias, act: 'relu' } : epi === 'gate-relu' ? { kind: 'gate', y, act: 'relu' } : { kind: 'none' };
  const plan = matmulPlan(shape);
  const spec = matmulSpec(gpu, shape, { a, b, c }, epilogue, 'matmul', plan);
  const flops = spec.flops!;
  const t = await time(await kernel(gpu, spec));
  row(model, shape, plan.name, flops, t);
  add(model, flops, t);
  if (subgroupModule) {
    // The subgroup variant needs main_vec4's operand modes; the skinny shapes keep the in-tree plan.
    let best = t;
    let bestPlan = 'in-tree plan';
    if (plan.entry === 'main_vec4') {
      for (const tu of [8, 16]) {
        const sgPlan = matmulPlanFor(shape, { swap: plan.swap, tu });
        const ts = await time(await subgroupCall(matmulSpec(gpu, shape, { a, b, c }, epilogue, 'matmul', sgPlan)));
        row(model, shape, `  SG ${sgPlan.name.replace('main_vec4 ', '')}`, flops, ts);
        if (ts.cpuMs < best.cpuMs) [best, bestPlan] = [ts, sgPlan.name];
      }
    }
    add(`${model} (SG)`, flops, best);
  }
  for (const buf of [a, b, c, y, bias]) buf.destroy();
}
for (const [model, t] of totals) {
  if (model.startsWith('square')) continue;
  rows.push([model, 'all matmuls of one step', '', model.endsWith('(SG)') ? 'best of in-tree / SG per shape' : 'in-tree',
    (t.flops / 1e6).toFixed(1), '', t.ms.toFixed(3), gflops(t.flops, t.ms), t.cpuMs.toFixed(3), gflops(t.flops, t.cpuMs)]);
}

const widths = header.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
for (const r of rows) console.log(r.map((cell, i) => (i < 4 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  '));
gpu.release();
