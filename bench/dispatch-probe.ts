/**
 * What one dispatch costs on this adapter, apart from its work: K tiny dispatches in one pass and
 * one submit, against an empty submit; and how the workgroup count of a tiny kernel (320 outputs,
 * a 32x10 matrix) changes its time. Rounds interleave the variants so load from other processes
 * hits them alike; prints the median wall and CPU µs per dispatch.
 *
 * Run: npx vite-node bench/dispatch-probe.ts
 */
import { requestGpu, describeGpu } from '../src/gpu/device';
import { storageBuffer } from '../src/gpu/buffers';
import { cpuMs, median } from '../src/bench/stats';

const gpu = await requestGpu();
console.log(describeGpu(gpu));
const { device } = gpu;

const code = (wg: number) => `
@group(0) @binding(0) var<storage, read_write> out: array<f32>;
override COUNT: u32;
@compute @workgroup_size(${wg})
fn main(@builtin(global_invocation_id) g: vec3u) {
  if (g.x < COUNT) { out[g.x] = out[g.x] * 0.5 + f32(g.x); }
}`;
const pipelines = new Map<number, GPUComputePipeline>();
async function pipeline(wg: number, count: number): Promise<GPUComputePipeline> {
  const key = wg * 1e6 + count;
  if (!pipelines.has(key)) {
    pipelines.set(key, await device.createComputePipelineAsync({
      layout: 'auto', compute: { module: device.createShaderModule({ code: code(wg) }), entryPoint: 'main', constants: { COUNT: count } },
    }));
  }
  return pipelines.get(key)!;
}
const buffers = Array.from({ length: 16 }, (_, i) => storageBuffer(gpu, `b${i}`, 1 << 16));

interface Variant { name: string; dispatches: number; run(): void }
async function variant(name: string, k: number, wg: number, count: number, distinct: boolean): Promise<Variant> {
  const p = await pipeline(wg, count);
  const groups = buffers.map((buffer) => device.createBindGroup({ layout: p.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer } }] }));
  return {
    name, dispatches: k,
    run() {
      const enc = device.createCommandEncoder();
      const pass = enc.beginComputePass();
      pass.setPipeline(p);
      for (let i = 0; i < k; i++) {
        pass.setBindGroup(0, groups[distinct ? i % groups.length : 0]!);
        pass.dispatchWorkgroups(Math.ceil(count / wg));
      }
      pass.end();
      device.queue.submit([enc.finish()]);
    },
  };
}
const empty: Variant = { name: 'empty submit', dispatches: 1, run: () => device.queue.submit([device.createCommandEncoder().finish()]) };

const variants: Variant[] = [
  empty,
  await variant('1 dispatch, 1 wg', 1, 1, 1, false),
  await variant('10 dispatches, same buffer', 10, 1, 1, false),
  await variant('10 dispatches, distinct buffers', 10, 1, 1, true),
  await variant('40 dispatches, same buffer', 40, 1, 1, false),
  await variant('40 dispatches, distinct buffers', 40, 1, 1, true),
  await variant('320 outputs: 320 wg x 1 lane', 10, 1, 320, true),
  await variant('320 outputs: 40 wg x 8 lanes', 10, 8, 320, true),
  await variant('320 outputs: 5 wg x 64 lanes', 10, 64, 320, true),
  await variant('320 outputs: 2 wg x 256 lanes', 10, 256, 320, true),
  await variant('4096 outputs: 4096 wg x 1', 10, 1, 4096, true),
  await variant('4096 outputs: 64 wg x 64', 10, 64, 4096, true),
  await variant('4096 outputs: 16 wg x 256', 10, 256, 4096, true),
];

const STEPS = 200;
const ROUNDS = 7;
const wall = new Map<string, number[]>();
const cpu = new Map<string, number[]>();
for (let r = 0; r < ROUNDS; r++) {
  for (const v of variants) {
    // Like a training loop: submit STEPS times, waiting for the one before every 8 steps.
    v.run();
    await device.queue.onSubmittedWorkDone();
    const t = performance.now();
    const c = cpuMs();
    let pending: Promise<void> | null = null;
    for (let s = 0; s < STEPS; s++) {
      v.run();
      if ((s + 1) % 8 === 0) {
        if (pending) await pending;
        pending = device.queue.onSubmittedWorkDone();
      }
    }
    await pending;
    await device.queue.onSubmittedWorkDone();
    const perDispatch = (ms: number) => (ms * 1000) / STEPS / v.dispatches;
    (wall.get(v.name) ?? wall.set(v.name, []).get(v.name)!).push(perDispatch(performance.now() - t));
    (cpu.get(v.name) ?? cpu.set(v.name, []).get(v.name)!).push(perDispatch(cpuMs() - c));
  }
}
console.log('variant                                  wall µs/dispatch  CPU µs/dispatch  (per submit for the empty one)');
for (const v of variants) {
  console.log(`${v.name.padEnd(40)} ${median(wall.get(v.name)!).toFixed(1).padStart(16)} ${median(cpu.get(v.name)!).toFixed(1).padStart(16)}`);
}
gpu.release();
