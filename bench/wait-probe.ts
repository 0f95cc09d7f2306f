/**
 * What waiting for the GPU costs the waiting thread: Dawn's Node binding polls its events from a
 * setImmediate loop while any promise of its (onSubmittedWorkDone, mapAsync, popErrorScope) is
 * pending, so the main thread may spin while lavapipe's threads work on the same cores. Submits
 * ~0.2 s of GPU work, then waits for it either with the promise at once or after a timer, and prints
 * the main thread's CPU time (from /proc) and the whole process's.
 *
 * Run: npx vite-node bench/wait-probe.ts
 */
import { readFileSync } from 'node:fs';
import { requestGpu } from '../src/gpu/device';
import { storageBuffer } from '../src/gpu/buffers';
import { cpuMs } from '../src/bench/stats';

/** This process's main thread CPU time, ms (10 ms ticks). */
function mainThreadMs(): number {
  const fields = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

const gpu = await requestGpu();
const { device } = gpu;
const code = `
@group(0) @binding(0) var<storage, read_write> out: array<f32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) g: vec3u) {
  var x = out[g.x];
  for (var i = 0u; i < 20000u; i++) { x = x * 0.999 + 0.001; }
  out[g.x] = x;
}`;
const pipeline = await device.createComputePipelineAsync({ layout: 'auto', compute: { module: device.createShaderModule({ code }), entryPoint: 'main' } });
const buffer = storageBuffer(gpu, 'out', 64 * 64 * 4);
const group = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer } }] });
function submit(dispatches: number): void {
  const enc = device.createCommandEncoder();
  const pass = enc.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, group);
  for (let i = 0; i < dispatches; i++) pass.dispatchWorkgroups(64);
  pass.end();
  device.queue.submit([enc.finish()]);
}
submit(1);
await device.queue.onSubmittedWorkDone();
const t0 = performance.now();
submit(4);
await device.queue.onSubmittedWorkDone();
const perDispatch = (performance.now() - t0) / 4;
const dispatches = Math.max(1, Math.round(200 / perDispatch));

for (let round = 0; round < 3; round++) {
  for (const how of ['promise at once', 'timer, then promise'] as const) {
    const [t, c, m] = [performance.now(), cpuMs(), mainThreadMs()];
    submit(dispatches);
    if (how === 'timer, then promise') await new Promise((r) => setTimeout(r, perDispatch * dispatches));
    await device.queue.onSubmittedWorkDone();
    const wall = performance.now() - t;
    console.log(`${how.padEnd(20)} wall ${wall.toFixed(0)} ms, process CPU ${(cpuMs() - c).toFixed(0)} ms, main thread CPU ${mainThreadMs() - m} ms`);
  }
}
gpu.release();
