/**
 * How lavapipe schedules an elementwise kernel: SGD's update over one-hidden's 101,824 parameters
 * (25,456 vec4s: p -= lr * g) with one vec4 per lane in many workgroups (as sgd.wgsl ran it before
 * its grid-stride loop: the "no loop" row) against a grid-stride loop in fewer workgroups (each lane
 * updates every G*WG-th vec4; the 1/8 row is src/gpu/kernel.ts strideGrid's grid). Rounds alternate;
 * median wall and CPU µs per update over REPS updates in one submit.
 *
 * Run: npx vite-node bench/grid-probe.ts
 */
import { requestGpu } from '../src/gpu/device';
import { storageBuffer, uniformBuffer, writeBuffer } from '../src/gpu/buffers';
import { cpuMs, median } from '../src/bench/stats';

/** vec4s to update: one-hidden's parameters by default, or $COUNT4 (e.g. 802816, the CNN's first conv output). */
const COUNT4 = Number(process.env.COUNT4 ?? 101_824 / 4);
const REPS = 50;
const ROUNDS = 9;
const gpu = await requestGpu();
const { device } = gpu;
const code = `
override COUNT4: u32;
override WG: u32;
override STRIDE: u32; // lanes in the grid: a lane takes i, i + STRIDE, ...
@group(0) @binding(0) var<storage, read_write> p: array<vec4f>;
@group(0) @binding(1) var<storage, read> g: array<vec4f>;
@group(0) @binding(2) var<uniform> lr: vec4f;
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  for (var i = gid.x; i < COUNT4; i += STRIDE) { p[i] -= lr.x * g[i]; }
}`;
const module = device.createShaderModule({ code });
// sgd.wgsl's shape before the grid-stride loops: one vec4 per lane, no loop.
const straight = device.createShaderModule({ code: code.replace('for (var i = gid.x; i < COUNT4; i += STRIDE) { p[i] -= lr.x * g[i]; }', 'let i = gid.x; if (i < COUNT4) { p[i] -= lr.x * g[i]; }') });
const p = storageBuffer(gpu, 'p', COUNT4 * 16);
const g = storageBuffer(gpu, 'g', COUNT4 * 16);
writeBuffer(gpu, g, Float32Array.from({ length: COUNT4 * 4 }, (_, i) => Math.sin(i)));
const lr = uniformBuffer(gpu, 'lr', 16);
writeBuffer(gpu, lr, Float32Array.of(1e-3, 0, 0, 0));
const layouts: [wg: number, groups: number, loop: boolean][] = [
  [256, Math.ceil(COUNT4 / 256), false], [256, Math.ceil(COUNT4 / 256), true], [64, Math.ceil(COUNT4 / 64), true],
  [256, Math.ceil(COUNT4 / 8 / 256), true], [256, 16, true], [256, 8, true], [64, 8, true], [256, 4, true], [256, 2, true],
];
const variants = await Promise.all(
  layouts.map(async ([wg, groups, loop]) => {
    const pipeline = await device.createComputePipelineAsync({ layout: 'auto', compute: { module: loop ? module : straight, entryPoint: 'main', constants: { COUNT4, WG: wg, STRIDE: wg * groups } } });
    const bindGroup = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [p, g, lr].map((buffer, binding) => ({ binding, resource: { buffer } })) });
    return { name: `${groups} workgroups x ${wg} lanes${loop ? '' : ', no loop'}`, pipeline, bindGroup, groups };
  }),
);
const wall = new Map<string, number[]>();
const cpu = new Map<string, number[]>();
for (let r = 0; r <= ROUNDS; r++) {
  for (const v of variants) {
    const [t, c] = [performance.now(), cpuMs()];
    const enc = device.createCommandEncoder();
    const pass = enc.beginComputePass();
    pass.setPipeline(v.pipeline);
    pass.setBindGroup(0, v.bindGroup);
    for (let i = 0; i < REPS; i++) pass.dispatchWorkgroups(v.groups);
    pass.end();
    device.queue.submit([enc.finish()]);
    await device.queue.onSubmittedWorkDone();
    if (r === 0) continue; // warm-up round
    (wall.get(v.name) ?? wall.set(v.name, []).get(v.name)!).push(((performance.now() - t) * 1000) / REPS);
    (cpu.get(v.name) ?? cpu.set(v.name, []).get(v.name)!).push(((cpuMs() - c) * 1000) / REPS);
  }
}
for (const v of variants) console.log(`${v.name.padEnd(28)} ${median(wall.get(v.name)!).toFixed(0).padStart(5)} µs wall ${median(cpu.get(v.name)!).toFixed(0).padStart(5)} µs CPU`);
gpu.release();
