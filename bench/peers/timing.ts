import { cpuMs, rateSummary, summarize, type Summary } from '../../src/bench/stats';

/** Warm-up steps at least (shader compiles, V8's tier-up of wasm code, a jit's trace). */
const WARMUP_STEPS = 3;
/** Warm-up and estimate also last at least this long (ms). */
const WARMUP_MS = 1500;
const ESTIMATE_MS = 500;

/** A peer's training loop, as `timeSteps` drives it. */
export interface StepLoop {
  /** Starts one training step (it may return before the step's work is done). */
  step(): void | Promise<void>;
  /** Waits until every step started so far is done, and checks the last loss (throws if it is not finite). */
  finish(): Promise<void>;
}

export interface StepTiming {
  imagesPerS: Summary;
  msPerStep: Summary;
  /** CPU time of this process per step, median. */
  cpuMsPerStep: number;
  steps: number;
  repeats: number;
}

/**
 * Times a peer's training steps the same way for every peer: a warm-up (at least 3 steps and 1.5 s)
 * and a 0.5 s estimate, both excluded; then `repeats` runs of a number of steps calibrated so that
 * they take about `seconds` in all, each ended by `finish()`; medians over the repeats.
 */
export async function timeSteps(loop: StepLoop, options: { batch: number; seconds?: number; repeats?: number; onCalibrated?: (steps: number, repeats: number) => void }): Promise<StepTiming> {
  const repeats = Math.max(1, options.repeats ?? 5);
  const seconds = options.seconds ?? 10;
  let t = performance.now();
  for (let i = 0; i < WARMUP_STEPS || (performance.now() - t < WARMUP_MS && i < 200); i++) {
    await loop.step();
    await loop.finish();
  }
  t = performance.now();
  let n = 0;
  while (n < WARMUP_STEPS || (performance.now() - t < ESTIMATE_MS && n < 200)) {
    await loop.step();
    n++;
  }
  await loop.finish();
  const estimate = (performance.now() - t) / n;
  const steps = Math.max(2, Math.min(5000, Math.round((seconds * 1000) / repeats / estimate)));
  options.onCalibrated?.(steps, repeats);
  const ms: number[] = [];
  const cpu: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const c = cpuMs();
    t = performance.now();
    for (let i = 0; i < steps; i++) await loop.step();
    await loop.finish();
    ms.push((performance.now() - t) / steps);
    cpu.push((cpuMs() - c) / steps);
  }
  const msPerStep = summarize(ms);
  return { imagesPerS: rateSummary(msPerStep, options.batch), msPerStep, cpuMsPerStep: summarize(cpu).median, steps, repeats };
}
