/**
 * `wgml bench`'s plumbing on tiny synthetic data: a result with sane fields, and JSON lines with the
 * keys scripts rely on. No timing assertions: benchmarks are not tests.
 */
import { describe, expect, it } from 'vitest';
import { benchJson, JSON_KEYS, textTable, trainingTable } from '../../src/bench/format';
import { median, quantile, rateSummary, summarize } from '../../src/bench/stats';
import { benchTraining } from '../../src/bench/train-bench';
import { describeGpu } from '../../src/gpu/device';
import { comparisonTable } from '../../src/cli/bench';
import { seedModel } from '../../src/models/seed-models';
import { useGpu } from '../support/gpu';
import { syntheticData } from './synthetic';

const gpu = useGpu();

describe('benchTraining', () => {
  it('measures a few steps of one-hidden and reports what a JSON line needs', async () => {
    const data = syntheticData(32 * 10, 100);
    const seed = seedModel('one-hidden');
    const spec = { name: seed.name, build: seed.build, fit: seed.fit, preprocessing: seed.data.preprocessing };
    const r = await benchTraining(gpu(), data, spec, { steps: 4, repeats: 2 });
    expect(r).toMatchObject({ model: 'one-hidden', batch: 32, optimizer: 'sgd', steps: 4, repeats: 2, dispatches: 9 });
    expect(r.msPerStep.samples).toBe(2);
    expect(r.msPerStep.median).toBeGreaterThan(0);
    expect(r.imagesPerS.median).toBeCloseTo((32 * 1000) / r.msPerStep.median, 6);
    expect(r.flopsPerStep).toBeGreaterThan(0);
    expect(r.memory.planned).toBeGreaterThan(0);
    expect(r.memory.naive).toBeGreaterThanOrEqual(r.memory.planned);
    expect(r.memory.params).toBeGreaterThanOrEqual(2 * 101_770 * 4); // params + grads (SGD keeps no state), 256-byte aligned tensors

    const line = JSON.parse(JSON.stringify(benchJson(r, describeGpu(gpu()), null))) as Record<string, unknown>;
    for (const key of JSON_KEYS) expect(line, key).toHaveProperty(key);
    expect(line.model).toBe('one-hidden');
    expect(line.batch).toBe(32);
    expect(typeof line.images_per_s).toBe('number');
    expect(typeof line.ms_per_step).toBe('number');
    expect(typeof line.gflops).toBe('number');
    expect(line.adapter).toMatch(/\S/);
    expect(line.fraction_of_ceiling).toBeNull();
    // Start-up: a fresh trainer's creation and first step, in the result and the JSON line.
    expect(r.startup.firstStepMs).toBeGreaterThan(0);
    expect(r.startup.totalMs).toBeCloseTo(r.startup.createMs + r.startup.firstStepMs, 6);
    expect(r.startup.tuneMs).toBeLessThanOrEqual(r.startup.createMs);
    expect(line.startup_ms).toBeGreaterThan(0);
    expect(line.startup_first_step_ms).toBeGreaterThan(0);

    expect(trainingTable([r], null).split('\n')).toHaveLength(3);
    const cmp = comparisonTable([r], [
      { runtime: 'tfjs-webgpu', backend: 'webgpu', model: 'one-hidden', batch: 32, adapter: 'a', version: 'TF.js 4', imagesPerS: summarize([r.imagesPerS.median / 2]), msPerStep: summarize([1]), steps: 1, repeats: 1 },
      { runtime: 'tfjs-wasm', backend: 'wasm', model: 'one-hidden', batch: 32, adapter: 'a', version: 'TF.js 4', imagesPerS: null, msPerStep: null, steps: 0, repeats: 0, skipped: 'n/a (no Conv2DBackpropFilter)' },
    ], ['tfjs-webgpu', 'tfjs-wasm']);
    expect(cmp).toContain('2.00x');
    expect(cmp).toContain('n/a (no Conv2DBackpropFilter)');
  });
});

describe('stats and tables', () => {
  it('medians, quantiles and spreads', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(quantile([0, 10], 0.25)).toBe(2.5);
    expect(summarize([1, 2, 4])).toEqual({ median: 2, min: 1, max: 4, spread: 1.5, samples: 3 });
    expect(Number.isNaN(median([]))).toBe(true);
    const rate = rateSummary(summarize([10, 20, 40]), 32);
    expect(rate).toEqual({ median: 1600, min: 800, max: 3200, spread: 1.5, samples: 3 });
  });

  it('aligns text tables, numbers to the right', () => {
    expect(textTable(['model', 'images/s'], [['mlp', '1,234'], ['one-hidden', '56']])).toBe(
      ['model       images/s', '----------  --------', 'mlp            1,234', 'one-hidden        56'].join('\n'),
    );
  });
});
