/**
 * Issue 13, item 5: does mixed precision's f16 weight copy pay for matmul on this adapter? On lavapipe
 * a storage load is a per-lane loop whose cost grows with its 32-bit components (bench/NOTES.md, "Why
 * this adapter caps the GEMM kernels"), so reading four weights as one vec2<u32> of packed halves
 * (shaders/matmul_v_half.wgsl) should cut the cost of the operand that dominates.
 *
 * Times the in-tree matmul() at the seed models' products that read weights (forward: B = W; input
 * gradient: B = Wᵀ), once with W in f32 and once from packed halves, with the same plan (tuning off:
 * the cost model's), and with the f32 W holding the very halves, so both must give the same bits
 * (checked). Rounds alternate between the two; best round of each. The weight gradients (A = Xᵀ)
 * run too, with X from halves: what f16 copies of the activations would give (tried, not kept:
 * bench/NOTES.md).
 *
 * Run: npx vite-node bench/f16-probe.ts          (first argument 'all': every shape, else the mlp's)
 *
 * (The version of this probe at d8e4937 timed a replica of main_sg's structure instead, before the
 * in-tree kernel could read halves.)
 */
import { describeGpu, requestGpu } from '../src/gpu/device';
import { readF32, storageBuffer } from '../src/gpu/buffers';
import type { KernelCall } from '../src/gpu/kernel';
import { matmul, type MatmulShape } from '../src/kernels/matmul';
import { cpuMs } from '../src/bench/stats';

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

/** [what, shape, the operand read from halves]. */
const MLP: [string, MatmulShape, 'a' | 'b'][] = [
  ['mlp dense_1 forward', { m: 256, n: 512, k: 784 }, 'b'],
  ['mlp dense_2 forward', { m: 256, n: 256, k: 512 }, 'b'],
  ['mlp dense_2 grad input', { m: 256, n: 512, k: 256, transB: true }, 'b'],
  ['mlp dense_3 forward', { m: 256, n: 128, k: 256 }, 'b'],
  ['mlp dense_3 grad input', { m: 256, n: 256, k: 128, transB: true }, 'b'],
  ['mlp dense_1 grad kernel', { m: 784, n: 512, k: 256, transA: true }, 'a'],
  ['mlp dense_2 grad kernel', { m: 512, n: 256, k: 256, transA: true }, 'a'],
];
const OTHERS: [string, MatmulShape, 'a' | 'b'][] = [
  ['one-hidden dense_1 forward', { m: 32, n: 128, k: 784 }, 'b'],
  ['one-hidden dense_1 grad kernel', { m: 784, n: 128, k: 32, transA: true }, 'a'],
  ['cnn dense_1 forward', { m: 64, n: 256, k: 1568 }, 'b'],
  ['1024³', { m: 1024, n: 1024, k: 1024 }, 'b'],
];

const gpu = await requestGpu();
console.log(describeGpu(gpu));
const ROUNDS = 7;

for (const [what, shape, halved] of process.argv[2] === 'all' ? [...MLP, ...OTHERS] : MLP) {
  const { m, n, k } = shape;
  const buffer = (label: string, data: ArrayBufferView) => storageBuffer(gpu, label, data.byteLength, data);
  const [A, B] = [randomHalves(m * k, 1), randomHalves(k * n, 2)];
  const H = halved === 'a' ? A : B;
  const other = buffer('f32 operand', (halved === 'a' ? B : A).values);
  const f32 = buffer('f32', H.values);
  const f16 = buffer('halves', new Uint32Array(H.bits.buffer, 0, Math.ceil(H.bits.length / 2)));
  const runs: [string, KernelCall, GPUBuffer][] = [];
  for (const [name, op] of [['f32', f32], ['f16', { half: f16, offset: 0 }]] as const) {
    const c = storageBuffer(gpu, name, m * n * 4);
    runs.push([name, await matmul(gpu, shape, halved === 'a' ? { a: op, b: other, c } : { a: other, b: op, c }), c]);
  }
  const best = new Map<string, { ms: number; cpu: number }>();
  const repeats = Math.max(2, Math.min(40, Math.round(4e8 / (2 * m * n * k))));
  for (let round = -1; round < ROUNDS; round++) {
    for (const [name, call] of runs) {
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
  const [out32, out16] = await Promise.all(runs.map(([, , c]) => readF32(gpu, c)));
  const same = out16!.every((x, i) => Object.is(x, out32![i]));
  const [t32, t16] = [best.get('f32')!, best.get('f16')!];
  console.log(
    `${what.padEnd(30)} ${`${m}x${k}·${k}x${n}`.padEnd(19)} f16 ${halved.toUpperCase()}  ` +
    `f32 ${t32.ms.toFixed(2).padStart(7)} ms  f16 ${t16.ms.toFixed(2).padStart(7)} ms  ${(t32.ms / t16.ms).toFixed(2)}x wall, ${(t32.cpu / t16.cpu).toFixed(2)}x CPU  ${same ? 'same bits' : 'DIFFERENT BITS'}`,
  );
}
gpu.release();
