/**
 * Issue 13, item 5: does f16 storage pay for matmul on this adapter? On lavapipe a storage load is a
 * per-lane loop whose cost grows with the number of 32-bit components (bench/NOTES.md, "What the
 * adapter actually does"), so reading four values as two u32s of packed halves (`unpack2x16float`,
 * core WGSL: no `shader-f16` needed) should cut the load cost, which is most of main_sg's time.
 *
 * One kernel, main_sg's structure for the plain product (16 rows x 4 columns per lane, A's rows
 * shared across each 8-lane subgroup by `subgroupShuffle`, B read as 4 columns per lane), with A
 * and/or B read from packed halves, f32 accumulation. The inputs are f16 values, held
 * as f32 in the f32 buffers, so every variant computes on the same numbers in the same order and must
 * give the same bits (checked). The in-tree matmul() at the same shape runs alongside, to show the
 * replica is representative. Rounds alternate between the variants; best round per variant.
 *
 * Run: npx vite-node bench/f16-probe.ts   (needs 8-lane subgroups, as on lavapipe)
 */
import { describeGpu, eightLaneSubgroups, requestGpu } from '../src/gpu/device';
import { readF32, storageBuffer } from '../src/gpu/buffers';
import type { KernelCall } from '../src/gpu/kernel';
import { matmul } from '../src/kernels/matmul';
import { cpuMs } from '../src/bench/stats';

/** The kernel with A and/or B read from packed halves (each variant its own module: no branch on an override). */
const code = (f16u: boolean, f16v: boolean) => /* wgsl */ `
enable subgroups;
override M: u32;
override N: u32;
override K: u32;
const WG: u32 = 64u;
const TU: u32 = 16u;
@group(0) @binding(0) var<storage, read> a4: array<vec4f>; // A [M, K]
@group(0) @binding(1) var<storage, read> b4: array<vec4f>; // B [K, N]
@group(0) @binding(2) var<storage, read_write> c: array<f32>;
@group(0) @binding(3) var<storage, read> a2: array<vec2u>; // A [M, K], two halves per u32
@group(0) @binding(4) var<storage, read> b2: array<vec2u>; // B [K, N], two halves per u32
// Each variant reads only some of these: the others are touched once so every binding stays in use.
fn keep() -> f32 { return a4[0].x + b4[0].x + unpack2x16float(a2[0].x).x + unpack2x16float(b2[0].x).x; }

fn halves(q: vec2u) -> vec4f { return vec4f(unpack2x16float(q.x), unpack2x16float(q.y)); }
fn load_u(row: u32, k: u32) -> vec4f { // A[row, k .. k+3]
  return ${f16u ? 'halves(a2[(row * K + k) / 4u])' : 'a4[(row * K + k) / 4u]'};
}
fn load_v(k: u32, col: u32) -> vec4f { // B[k, col .. col+3]
  return ${f16v ? 'halves(b2[(k * N + col) / 4u])' : 'b4[(k * N + col) / 4u]'};
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u, @builtin(subgroup_invocation_id) lane: u32) {
  let u0 = wid.y * TU;
  let v0 = (wid.x * WG + lid.x) * 4u;
  let col = min(v0, N - 4u);
  var acc: array<vec4f, TU>;
  for (var k = 0u; k < K; k += 4u) {
    var vt: array<vec4f, 4>;
    for (var kk = 0u; kk < 4u; kk++) { vt[kk] = load_v(k + kk, col); }
    for (var g = 0u; g < TU; g += 8u) {
      let q = load_u(min(u0 + g + lane % 8u, M - 1u), k);
      for (var i = 0u; i < 8u; i++) {
        for (var kk = 0u; kk < 4u; kk++) { acc[g + i] = fma(vec4f(subgroupShuffle(q[kk], i)), vt[kk], acc[g + i]); }
      }
    }
  }
  if (M == 0u) { c[0] = keep(); } // never true: uses every binding without changing the work
  for (var i = 0u; i < TU; i++) {
    let m = u0 + i;
    if (m >= M || v0 >= N) { break; }
    for (var j = 0u; j < 4u; j++) { c[m * N + v0 + j] = acc[i][j]; }
  }
}`;

/** Random f16 bit patterns of magnitude 2^-3 .. 2^1, and the same values as f32. */
function randomHalves(count: number, seed: number): { bits: Uint16Array; values: Float32Array } {
  let s = seed >>> 0;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const bits = new Uint16Array(count);
  const values = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const sign = next() < 0.5 ? 1 : 0;
    const exponent = 12 + Math.floor(next() * 4); // 2^-3 .. 2^0 (bias 15)
    const mantissa = Math.floor(next() * 1024);
    bits[i] = (sign << 15) | (exponent << 10) | mantissa;
    values[i] = (sign ? -1 : 1) * 2 ** (exponent - 15) * (1 + mantissa / 1024);
  }
  return { bits, values };
}

const gpu = await requestGpu();
console.log(describeGpu(gpu));
if (!eightLaneSubgroups(gpu)) throw new Error('this probe needs 8-lane subgroups (lavapipe)');
const ROUNDS = 5;

for (const [m, k, n] of [[1024, 1024, 1024], [256, 784, 512], [64, 1568, 256]] as const) {
  const A = randomHalves(m * k, 1);
  const B = randomHalves(k * n, 2);
  const buffer = (label: string, data: ArrayBufferView) => storageBuffer(gpu, label, data.byteLength, data);
  const a4 = buffer('a', A.values);
  const b4 = buffer('b', B.values);
  const a2 = buffer('a16', new Uint32Array(A.bits.buffer));
  const b2 = buffer('b16', new Uint32Array(B.bits.buffer));
  const outputs = new Map<string, GPUBuffer>();
  const calls: [string, KernelCall][] = [];
  for (const [name, f16u, f16v] of [['f32 (replica of main_sg)', false, false], ['f16 B', false, true], ['f16 A and B', true, true]] as const) {
    const c = storageBuffer(gpu, name, m * n * 4);
    outputs.set(name, c);
    const module = gpu.device.createShaderModule({ code: code(f16u, f16v) });
    const pipeline = await gpu.device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint: 'main', constants: { M: m, N: n, K: k } } });
    const bindGroup = gpu.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [a4, b4, c, a2, b2].map((b, binding) => ({ binding, resource: { buffer: b } })) });
    calls.push([name, { label: name, pipeline, bindGroup, workgroups: [Math.ceil(n / 4 / 64), Math.ceil(m / 16), 1], flops: 2 * m * n * k, bytes: 0 }]);
  }
  const cInTree = storageBuffer(gpu, 'in-tree', m * n * 4);
  calls.push(['in-tree matmul()', await matmul(gpu, { m, n, k }, { a: a4, b: b4, c: cInTree })]);

  const best = new Map<string, { ms: number; cpu: number }>();
  const repeats = Math.max(2, Math.min(20, Math.round(2e9 / (2 * m * n * k))));
  for (let round = -1; round < ROUNDS; round++) {
    for (const [name, call] of calls) {
      const [t, c] = [performance.now(), cpuMs()];
      const encoder = gpu.device.createCommandEncoder();
      const pass = encoder.beginComputePass();
      pass.setPipeline(call.pipeline);
      pass.setBindGroup(0, call.bindGroup);
      for (let i = 0; i < (round < 0 ? 1 : repeats); i++) pass.dispatchWorkgroups(...call.workgroups);
      pass.end();
      gpu.device.queue.submit([encoder.finish()]);
      await gpu.device.queue.onSubmittedWorkDone();
      if (round < 0) continue; // compile and warm up
      const ms = (performance.now() - t) / repeats;
      const cpu = (cpuMs() - c) / repeats;
      const b = best.get(name);
      best.set(name, { ms: Math.min(ms, b?.ms ?? Infinity), cpu: Math.min(cpu, b?.cpu ?? Infinity) });
    }
  }
  const reference = await readF32(gpu, outputs.get('f32 (replica of main_sg)')!);
  for (const [name] of calls) {
    const out = name === 'in-tree matmul()' ? cInTree : outputs.get(name)!;
    const got = await readF32(gpu, out);
    const same = got.every((x, i) => Object.is(x, reference[i]));
    const { ms, cpu } = best.get(name)!;
    const flops = 2 * m * n * k;
    console.log(`${m}x${k}·${k}x${n}  ${name.padEnd(26)} ${ms.toFixed(2).padStart(8)} ms  ${(flops / ms / 1e6).toFixed(1).padStart(5)} GFLOP/s  ${(flops / cpu / 1e6).toFixed(1).padStart(5)} GFLOP/CPU-s  ${same ? 'same bits' : 'DIFFERENT BITS'}`);
  }
}
gpu.release();
