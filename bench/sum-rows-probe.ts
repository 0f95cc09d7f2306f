/**
 * sumRows' scalar entry point against its vec4 one at the seed models' bias-gradient shapes (the
 * CNN's conv1 and conv2 over batch 64, the mlp's dense layers over batch 256): both built directly
 * (same constants, same grid), rounds alternating, median wall and CPU µs per call over REPS calls
 * in one submit; also checks that both give the same bits.
 *
 * Run: npx vite-node bench/sum-rows-probe.ts
 */
import { requestGpu } from '../src/gpu/device';
import { readF32, storageBuffer, writeBuffer } from '../src/gpu/buffers';
import { kernel, linearGrid, submitCalls } from '../src/gpu/kernel';
import { cpuMs, median } from '../src/bench/stats';

const REPS = 20;
const ROUNDS = 7;
const gpu = await requestGpu();
for (const [rows, cols, chunk] of [[50_176, 64, 256], [12_544, 32, 256], [256, 512, 256], [256, 128, 256]] as const) {
  const x = storageBuffer(gpu, 'x', rows * cols * 4);
  writeBuffer(gpu, x, Float32Array.from({ length: rows * cols }, (_, i) => Math.sin(i * 0.37)));
  const chunks = Math.ceil(rows / chunk);
  const outs = [0, 1].map(() => storageBuffer(gpu, 'out', chunks * cols * 4));
  const calls = await Promise.all((['sum_rows', 'sum_rows_vec4'] as const).map((entry, i) =>
    kernel(gpu, {
      label: entry, shader: 'reduce', entry, constants: { ROWS: rows, COLS: cols, CHUNK: chunk, WG: 64 },
      bindings: [x, outs[i]!], workgroups: linearGrid((cols / 4) * chunks, 64),
    })));
  const wall = new Map<string, number[]>();
  const cpu = new Map<string, number[]>();
  for (let r = 0; r < ROUNDS; r++) {
    for (const call of calls) {
      const repeated = Array.from({ length: REPS }, () => call);
      submitCalls(gpu, repeated);
      await gpu.device.queue.onSubmittedWorkDone();
      const [t, c] = [performance.now(), cpuMs()];
      submitCalls(gpu, repeated);
      await gpu.device.queue.onSubmittedWorkDone();
      (wall.get(call.label) ?? wall.set(call.label, []).get(call.label)!).push(((performance.now() - t) * 1000) / REPS);
      (cpu.get(call.label) ?? cpu.set(call.label, []).get(call.label)!).push(((cpuMs() - c) * 1000) / REPS);
    }
  }
  const [a, b] = await Promise.all(outs.map((o) => readF32(gpu, o, chunks * cols)));
  const same = a!.every((v, i) => Object.is(v, b![i]));
  for (const call of calls) {
    console.log(`${rows}x${cols} (chunk ${chunk}) ${call.label.padEnd(14)} ${median(wall.get(call.label)!).toFixed(0).padStart(6)} µs wall ${median(cpu.get(call.label)!).toFixed(0).padStart(6)} µs CPU${call === calls[1] ? `  (same bits: ${same})` : ''}`);
  }
}
gpu.release();
