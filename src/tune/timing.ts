import type { Gpu } from '../gpu/device';
import type { KernelCall } from '../gpu/kernel';

/** Aimed duration of one timed round, ms: long enough to average out dispatch overhead, short enough to tune many shapes. */
const ROUND_MS = 15;
const ROUNDS = 3;
const MAX_REPEATS = 64;

function submitRepeated(gpu: Gpu, call: KernelCall, n: number, workgroups: readonly [number, number, number] = call.workgroups): void {
  const encoder = gpu.device.createCommandEncoder({ label: `tune ${call.label}` });
  const pass = encoder.beginComputePass();
  pass.setPipeline(call.pipeline);
  pass.setBindGroup(0, call.bindGroup);
  for (let i = 0; i < n; i++) pass.dispatchWorkgroups(...workgroups);
  pass.end();
  gpu.device.queue.submit([encoder.finish()]);
}

async function once(gpu: Gpu, call: KernelCall, n: number): Promise<number> {
  const t = performance.now();
  submitRepeated(gpu, call, n);
  await gpu.device.queue.onSubmittedWorkDone();
  return (performance.now() - t) / n;
}

/**
 * Wall-clock ms per dispatch of `call`: one untimed dispatch of a single workgroup (a software
 * driver compiles the pipeline at its first dispatch; one workgroup pays that without running the
 * whole product on scratch data), one timed dispatch, then the best of a few rounds of back-to-back dispatches in one submit,
 * each round about ROUND_MS long (the best round is the least disturbed by other work on the
 * machine). A candidate whose timed dispatch is over twice `toBeat` (the best so far) is not
 * worth the rounds: that dispatch's time is returned (a workgroup-memory tile on lavapipe runs 30x
 * slower than its register-blocked kernels; timing it fully would cost seconds per shape).
 */
export async function timeKernel(gpu: Gpu, call: KernelCall, toBeat = Infinity): Promise<number> {
  submitRepeated(gpu, call, 1, [1, 1, 1]);
  await gpu.device.queue.onSubmittedWorkDone();
  const first = await once(gpu, call, 1);
  if (first > 2 * toBeat) return first;
  const n = Math.max(1, Math.min(MAX_REPEATS, Math.round(ROUND_MS / Math.max(first, 1e-3))));
  let best = first;
  for (let r = 0; r < ROUNDS; r++) best = Math.min(best, await once(gpu, call, n));
  return best;
}
