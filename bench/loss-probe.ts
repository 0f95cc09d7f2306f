/**
 * The loss head of a training step as two dispatches (softmax cross-entropy, then sumRows for the
 * last dense layer's bias gradient) against one (the fused `+ bias grad` kernel), at the seed
 * models' batch shapes: each variant recorded REPS times in one pass and one submit, rounds
 * alternating, median wall and CPU µs per head.
 *
 * Run: npx vite-node bench/loss-probe.ts
 */
import { requestGpu } from '../src/gpu/device';
import { storageBuffer, writeBuffer } from '../src/gpu/buffers';
import { submitCalls, type KernelCall } from '../src/gpu/kernel';
import { metricsBuffer } from '../src/kernels/metrics';
import { sumRows } from '../src/kernels/reduce';
import { softmaxXentTrain } from '../src/kernels/softmax-xent';
import { stepUniform, writeStepUniform } from '../src/kernels/step';
import { cpuMs, median } from '../src/bench/stats';

const REPS = 100;
const ROUNDS = 9;
const gpu = await requestGpu();
for (const [batch, classes] of [[32, 10], [64, 10], [256, 10]] as const) {
  const logits = storageBuffer(gpu, 'logits', batch * classes * 4);
  writeBuffer(gpu, logits, Float32Array.from({ length: batch * classes }, (_, i) => Math.sin(i)));
  const labels = storageBuffer(gpu, 'labels', batch * 4);
  writeBuffer(gpu, labels, Uint32Array.from({ length: batch }, (_, i) => i % classes));
  const step = stepUniform(gpu);
  writeStepUniform(gpu, step, { step: 0, batchStart: 0, rows: batch, seed: 0 });
  const [grad, bias] = [storageBuffer(gpu, 'grad', batch * classes * 4), storageBuffer(gpu, 'bias', classes * 4)];
  const metrics = metricsBuffer(gpu, classes);
  const io = { logits, labels, step, metrics, grad };
  const variants: Record<string, KernelCall[]> = {
    'softmax + sumRows': [await softmaxXentTrain(gpu, { batch, classes }, io), ...(await sumRows(gpu, { rows: batch, cols: classes }, { x: grad, out: bias }))],
    'softmax + bias grad': [await softmaxXentTrain(gpu, { batch, classes }, { ...io, biasGrad: bias })],
  };
  const wall = new Map<string, number[]>();
  const cpu = new Map<string, number[]>();
  for (let r = 0; r < ROUNDS; r++) {
    for (const [name, calls] of Object.entries(variants)) {
      const repeated = Array.from({ length: REPS }, () => calls).flat();
      submitCalls(gpu, repeated);
      await gpu.device.queue.onSubmittedWorkDone();
      const [t, c] = [performance.now(), cpuMs()];
      submitCalls(gpu, repeated);
      await gpu.device.queue.onSubmittedWorkDone();
      (wall.get(name) ?? wall.set(name, []).get(name)!).push(((performance.now() - t) * 1000) / REPS);
      (cpu.get(name) ?? cpu.set(name, []).get(name)!).push(((cpuMs() - c) * 1000) / REPS);
    }
  }
  for (const name of Object.keys(variants)) {
    console.log(`${batch}x${classes} ${name.padEnd(20)} ${median(wall.get(name)!).toFixed(1).padStart(7)} µs wall ${median(cpu.get(name)!).toFixed(1).padStart(7)} µs CPU`);
  }
}
gpu.release();
