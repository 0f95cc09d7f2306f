/**
 * The profiler's contract, not its numbers (benchmarks are not tests): one row per KernelCall, in
 * call order, with non-negative times that add up to the total and fit inside the time the runs took.
 */
import { describe, expect, it } from 'vitest';
import { byLayer, byShader, byTime, groupProfile, medianProfile, profileCalls, profileTable, type Profile } from '../../src/gpu/profiler';
import { seedModel } from '../../src/models/seed-models';
import type { Trainer } from '../../src/train/trainer';
import { useGpu } from '../support/gpu';
import { createTrainer } from '../support/training';
import { syntheticData } from './synthetic';

const gpu = useGpu();

async function withTrainStep<T>(body: (t: Trainer) => Promise<T>): Promise<T> {
  const seed = seedModel('one-hidden');
  const run = await createTrainer(gpu(), seed.build(), syntheticData(64, 16), {
    batchSize: 32, lr: 0.03, optimizer: 'sgd', seed: 1, preprocessing: seed.data.preprocessing,
  });
  try {
    return await body(run.trainer);
  } finally {
    run.release();
  }
}

function checkShape(profile: Profile, calls: readonly { label: string; flops: number; bytes: number }[], wallMs: number) {
  expect(profile.rows).toHaveLength(calls.length);
  profile.rows.forEach((r, i) => {
    expect(r.index).toBe(i);
    expect(r.label).toBe(calls[i]!.label);
    expect(r.flops).toBe(calls[i]!.flops);
    expect(r.bytes).toBe(calls[i]!.bytes);
    for (const v of [r.ms, r.medianMs, r.minMs, r.maxMs, r.share, r.gflops, r.gbps]) {
      expect(Number.isFinite(v)).toBe(true);
      expect(v).toBeGreaterThanOrEqual(0);
    }
    expect(r.minMs).toBeLessThanOrEqual(r.maxMs);
  });
  expect(profile.emptyPassMs).toBeGreaterThanOrEqual(0);
  expect(profile.stepMs).toBeGreaterThan(0);
  expect(profile.stepMs).toBeLessThanOrEqual(wallMs / profile.repeats + 1e-6);
  expect(Number.isFinite(profile.emptyPassMs)).toBe(true);
  const sum = profile.rows.reduce((a, r) => a + r.ms, 0);
  expect(profile.kernelMs).toBeCloseTo(sum, 9);
  expect(profile.kernelMs).toBeGreaterThan(0);
  // Each run's kernels fit in that run; the mean run fits in the wall time of all runs together.
  expect(profile.kernelMs).toBeLessThanOrEqual(wallMs / profile.repeats + 1e-6);
  if (profile.kernelMs > 0) expect(profile.rows.reduce((a, r) => a + r.share, 0)).toBeCloseTo(1, 6);
}

describe('profileCalls', () => {
  it('times every dispatch of a training step (auto: timestamp queries where the adapter has them)', async () => {
    await withTrainStep(async (trainer) => {
      const calls = trainer.trainProgram.calls;
      const t = performance.now();
      const profile = await profileCalls(gpu(), calls, { repeats: 3, warmup: 1 });
      const wall = performance.now() - t;
      expect(profile.method).toBe(gpu().features.has('timestamp-query') ? 'timestamp' : 'submit');
      expect(profile.repeats).toBe(3);
      checkShape(profile, calls, wall);
      if (profile.method === 'timestamp') expect(profile.spanMs).toBeGreaterThanOrEqual(profile.kernelMs * 0.999);
    });
  });

  it('falls back to one submit per dispatch, with the same contract', async () => {
    await withTrainStep(async (trainer) => {
      const calls = trainer.trainProgram.calls;
      const t = performance.now();
      const profile = await profileCalls(gpu(), calls, { repeats: 2, warmup: 1, method: 'submit' });
      const wall = performance.now() - t;
      expect(profile.method).toBe('submit');
      expect(profile.quantumNs).toBe(0);
      checkShape(profile, calls, wall);
    });
  });

  it('does not let a host stall while measuring the empty round trip swallow the kernels', async () => {
    await withTrainStep(async (trainer) => {
      // The first five empty submits after the warm-up take 50 ms longer, as on a loaded CI host:
      // a typical (median) baseline would be that stall and every kernel would come out as zero.
      const real = gpu();
      let waits = 0;
      const queue = {
        submit: (buffers: GPUCommandBuffer[]) => real.device.queue.submit(buffers),
        onSubmittedWorkDone: async () => {
          waits++;
          await real.device.queue.onSubmittedWorkDone();
          if (waits >= 2 && waits <= 6) await new Promise((r) => setTimeout(r, 50));
        },
      };
      const device = new Proxy(real.device, {
        get: (target, key) => {
          if (key === 'queue') return queue;
          const v = Reflect.get(target, key) as unknown;
          return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v; // native methods need the real device
        },
      });
      const profile = await profileCalls({ ...real, device }, trainer.trainProgram.calls, { repeats: 1, warmup: 1, method: 'submit' });
      expect(profile.kernelMs).toBeGreaterThan(0);
    });
  });

  it('runs the hook before every run, warm-up included', async () => {
    await withTrainStep(async (trainer) => {
      const runs: number[] = [];
      await profileCalls(gpu(), trainer.trainProgram.calls.slice(0, 2), { repeats: 3, warmup: 2, beforeRun: (r) => runs.push(r) });
      expect(runs).toEqual([0, 1, 2, 3, 4]);
    });
  });

  it('returns an empty profile for no calls', async () => {
    const profile = await profileCalls(gpu(), [], { repeats: 2 });
    expect(profile.rows).toEqual([]);
    expect(profile.kernelMs).toBe(0);
  });
});

describe('profile tables', () => {
  const row = (index: number, label: string, shader: string, ms: number, flops: number) => ({
    index, label, shader, ms, medianMs: ms, minMs: ms, maxMs: ms, share: ms / 10, gflops: flops / (ms * 1e6), gbps: 0, flops, bytes: 0, workgroups: [1, 1, 1] as const,
  });
  const profile: Profile = {
    method: 'timestamp', repeats: 1, warmup: 0, kernelMs: 10, spanMs: 10.5, stepMs: 9.5, quantumNs: 0, emptyPassMs: 0.01, medians: { spanMs: 10, stepMs: 9, emptyPassMs: 0.005 },
    rows: [row(0, 'dense_1 forward 32x784·784x128', 'matmul:main', 2, 4e6), row(1, 'sgd step [10]', 'sgd:main', 5, 0), row(2, 'dense_1 grad kernel 784x32·32x128', 'matmul:main', 3, 4e6)],
  };

  it('can take medians instead of means', () => {
    const m = medianProfile({ ...profile, rows: profile.rows.map((r) => ({ ...r, medianMs: r.ms / 2 })) });
    expect(m.kernelMs).toBeCloseTo(5);
    expect(m.rows.map((r) => r.ms)).toEqual([1, 2.5, 1.5]);
    expect(m.rows[1]!.share).toBeCloseTo(0.5);
    expect([m.spanMs, m.stepMs, m.emptyPassMs]).toEqual([10, 9, 0.005]);
  });

  it('sorts by time, slowest first', () => {
    expect(byTime(profile).map((r) => r.index)).toEqual([1, 2, 0]);
  });

  it('groups by shader and by layer, adding times and flops', () => {
    const shaders = groupProfile(profile, byShader);
    expect(shaders.map((g) => [g.label, g.ms, g.flops])).toEqual([['matmul:main', 5, 8e6], ['sgd:main', 5, 0]]);
    expect(shaders[0]!.share).toBeCloseTo(0.5);
    expect(shaders[0]!.gflops).toBeCloseTo(8e6 / 5e6);
    expect(groupProfile(profile, byLayer).map((g) => g.label)).toEqual(['dense_1', 'sgd']);
  });

  it('renders one line per row plus a total, with "-" where a kernel declares no flops', () => {
    const t = profileTable(profile);
    expect(t.headers).toEqual(['#', 'kernel', 'ms', 'share', 'GFLOP/s', 'GB/s']);
    expect(t.rows).toHaveLength(4);
    expect(t.rows[0]).toEqual(['1', 'sgd step [10]', '5.000', '50.0%', '-', '-']);
    expect(t.rows[3]![1]).toBe('total (sum of kernels)');
  });
});
