/**
 * The tuner (src/tune/tuner.ts) through matmul() and the conv2d passes: whatever it picks runs
 * correctly (oracle-checked, outputs poisoned), it times every candidate when forced, answers from
 * its store for this adapter only, and leaves the cost model's plan alone when off. A memory store
 * throughout: no test touches a real cache.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { bufferFrom, readF32 } from '../../src/gpu/buffers';
import { submitCalls } from '../../src/gpu/kernel';
import { conv2dBackwardFilter, conv2dBackwardInput, conv2dForward, conv2dGeometry, conv2dVariantChoice } from '../../src/kernels/conv2d';
import { matmul, matmulDefaultVariant, matmulVariantChoice, matmulWithPlan, type MatmulShape } from '../../src/kernels/matmul';
import { adapterKey, candidateFits, configureTuning, SWITCH_MARGIN, tuningChoices, TUNE_VERSION, type TuneCacheFile, type TuneStore } from '../../src/tune/tuner';
import { expectClose } from '../support/compare';
import { checked, poisoned, useGpu } from '../support/gpu';
import { expectMatmul } from '../support/matmul';
import { randomF32, testRng } from '../support/random';
import { conv2dBackwardFilterRef } from '../oracle/conv';

const gpu = useGpu();

function memoryStore(initial: TuneCacheFile | null = null): TuneStore & { file: TuneCacheFile | null; saves: number } {
  const store = {
    where: 'memory',
    file: initial,
    saves: 0,
    load: async () => (store.file ? structuredClone(store.file) : null),
    save: async (f: TuneCacheFile) => {
      store.file = structuredClone(f);
      store.saves++;
    },
  };
  return store;
}

const before = configureTuning({});
afterAll(() => configureTuning(before));

const checkMatmul = (shape: MatmulShape) => expectMatmul(gpu(), shape);

/** Every matmul variant id: a cached record with all of them is complete on any device. */
const EVERY_VARIANT = ['sg16', 'sg8', 'vec4-8', 'vec4-4', 'scalar-8', 'scalar-4', 'tile32', 'tile64'];

const choiceFor = (family: string, shape: string) => tuningChoices(gpu()).find((c) => c.family === family && c.shape === shape);

describe('tuner', () => {
  it("'force' times every candidate, runs the fastest correctly and stores it under this adapter", async () => {
    const store = memoryStore();
    configureTuning({ mode: 'force', store });
    await checkMatmul({ m: 100, n: 84, k: 132, transB: true });
    const choice = choiceFor('matmul transB', '100x132x84')!;
    expect(choice.source).toBe('tuned');
    expect(Object.keys(choice.ms)).toContain('tile32');
    expect(Object.keys(choice.ms)).toContain(matmulDefaultVariant(gpu(), { m: 100, n: 84, k: 132, transB: true }));
    // The fastest, unless it beats the cost model's pick by less than SWITCH_MARGIN.
    const fallback = matmulDefaultVariant(gpu(), { m: 100, n: 84, k: 132, transB: true });
    const fastest = Object.entries(choice.ms).reduce((a, b) => (b[1] < a[1] ? b : a))[0];
    expect(choice.variant).toBe(choice.ms[fastest]! < SWITCH_MARGIN * choice.ms[fallback]! ? fastest : fallback);
    expect(store.file?.version).toBe(TUNE_VERSION);
    expect(store.file?.adapters[adapterKey(gpu())]?.['matmul transB|100x132x84']?.variant).toBe(choice.variant);
  });

  it("'on' runs the cached choice for this adapter and ignores other adapters' entries", async () => {
    const key = 'matmul|96x160x76';
    const store = memoryStore({
      version: TUNE_VERSION,
      adapters: { [adapterKey(gpu())]: { [key]: { variant: 'tile64', ms: { ...Object.fromEntries(EVERY_VARIANT.map((v) => [v, 5])), tile64: 1 } } }, 'another adapter': { 'matmul|88x160x76': { variant: 'tile32', ms: {} } } },
    });
    configureTuning({ mode: 'on', store, budgetMs: 0 });
    const call = await checkMatmul({ m: 96, n: 76, k: 160 });
    expect(call.pipeline.label.startsWith('matmul_tiled:main_tiled:'), call.pipeline.label).toBe(true);
    expect(choiceFor('matmul', '96x160x76')).toMatchObject({ variant: 'tile64', source: 'cache' });
    // Not cached for this adapter, and no budget left: the cost model's plan, not tuned.
    await checkMatmul({ m: 88, n: 76, k: 160 });
    expect(choiceFor('matmul', '88x160x76')).toMatchObject({ variant: matmulDefaultVariant(gpu(), { m: 88, n: 76, k: 160 }), source: 'over budget' });
    expect(store.saves).toBe(0);
    // A shape timed only in part (a run that hit the budget): its best so far, the rest timed later.
    store.file!.adapters[adapterKey(gpu())]!['matmul|84x160x76'] = { variant: 'tile32', ms: { tile32: 1 } };
    configureTuning({ mode: 'on', store: memoryStore(store.file), budgetMs: 0 });
    await checkMatmul({ m: 84, n: 76, k: 160 });
    expect(choiceFor('matmul', '84x160x76')).toMatchObject({ variant: 'tile32', source: 'over budget' });
  });

  it("'on' starts a candidate only if the longest one so far would still end within the budget", () => {
    expect(candidateFits(0, 0, 10_000)).toBe(true);
    expect(candidateFits(4_000, 6_000, 10_000)).toBe(true);
    // Not spent yet, but a candidate as long as the longest so far would end 1 s past it.
    expect(candidateFits(5_000, 6_000, 10_000)).toBe(false);
    expect(candidateFits(10_001, 0, 10_000)).toBe(false);
  });

  it('does not try again a variant that lost badly on two shapes of the same kernel kind', async () => {
    const lost = { variant: 'sg16', ms: { sg16: 1, sg8: 1.5, 'vec4-8': 1.9, tile32: 9, tile64: 1.2 } };
    const store = memoryStore({ version: TUNE_VERSION, adapters: { [adapterKey(gpu())]: { 'matmul|1x2x3': lost, 'matmul transA|4x5x6': lost } } });
    configureTuning({ mode: 'force', store });
    await checkMatmul({ m: 92, n: 80, k: 136 });
    const tried = Object.keys(choiceFor('matmul', '92x136x80')!.ms);
    expect(tried).not.toContain('tile32');
    expect(tried).toContain('tile64');
  });

  it("'off' runs the cost model's plan; small products are never timed", async () => {
    configureTuning({ mode: 'off', store: memoryStore() });
    await checkMatmul({ m: 72, n: 64, k: 140 });
    expect(choiceFor('matmul', '72x140x64')).toMatchObject({ variant: matmulDefaultVariant(gpu(), { m: 72, n: 64, k: 140 }), source: 'default' });
    configureTuning({ mode: 'force', store: memoryStore() });
    await checkMatmul({ m: 9, n: 11, k: 13 });
    expect(choiceFor('matmul', '9x13x11')?.source).toBe('small');
  });

  it('tunes a conv2d pass and runs the pick correctly', async () => {
    configureTuning({ mode: 'force', store: memoryStore() });
    const g = gpu();
    const shape = { h: 9, w: 10, cin: 8, kh: 3, kw: 3, cout: 20, padding: 'same' as const };
    const n = 10;
    const geo = conv2dGeometry(shape);
    const { seed, next } = testRng();
    const x = randomF32(next, n * shape.h * shape.w * shape.cin);
    const dy = randomF32(next, n * geo.oh * geo.ow * shape.cout);
    const dw = poisoned(g, 3 * 3 * 8 * 20);
    const call = await conv2dBackwardFilter(g, shape, n, { x: bufferFrom(g, 'x', x), dy: bufferFrom(g, 'dy', dy), dw });
    const got = await checked(g, async () => (submitCalls(g, [call]), readF32(g, dw)));
    expectClose(got, conv2dBackwardFilterRef(x, dy, { ...geo, n }), `seed ${seed}`);
    const choice = tuningChoices(g).find((c) => c.family === 'conv2d backward_filter')!;
    expect(choice.source).toBe('tuned');
    expect(Object.keys(choice.ms).sort()).toEqual(expect.arrayContaining(['block8x8', 'tile32', 'tile64']));
  });

  // Every variant sums each output's products in the same order with one fma per step, so the
  // tuner's choice cannot change a training run's numbers: the variants agree bit for bit.
  it('every variant gives the same bits', async () => {
    const g = gpu();
    const { seed, next } = testRng();
    for (const shape of [{ m: 40, n: 36, k: 52 }, { m: 24, n: 44, k: 36, transA: true }, { m: 33, n: 28, k: 40, transB: true }] as MatmulShape[]) {
      const a = bufferFrom(g, 'a', randomF32(next, shape.m * shape.k));
      const b = bufferFrom(g, 'b', randomF32(next, shape.k * shape.n));
      const outputs: Float32Array[] = [];
      for (const variant of EVERY_VARIANT) {
        const c = poisoned(g, shape.m * shape.n);
        submitCalls(g, [await matmulWithPlan(g, shape, { a, b, c }, { kind: 'none' }, 'matmul', matmulVariantChoice(shape, variant))]);
        outputs.push(await readF32(g, c));
      }
      for (const [i, out] of outputs.entries()) expect(out, `${JSON.stringify(shape)} ${EVERY_VARIANT[i]}, seed ${seed}`).toEqual(outputs[0]);
    }
    const conv = { h: 7, w: 6, cin: 8, kh: 3, kw: 3, cout: 12, padding: 'same' as const };
    const n = 3;
    const geo = conv2dGeometry(conv);
    const [inputs, outputs, weights] = [n * 7 * 6 * 8, n * geo.oh * geo.ow * 12, 9 * 8 * 12];
    const [x, w, dy] = [bufferFrom(g, 'x', randomF32(next, inputs)), bufferFrom(g, 'w', randomF32(next, weights)), bufferFrom(g, 'dy', randomF32(next, outputs))];
    for (const pass of ['forward', 'backward_input', 'backward_filter'] as const) {
      const results: Float32Array[] = [];
      for (const variant of ['block8x8', 'subgroups', 'tile32', 'tile64']) {
        const size = { forward: outputs, backward_input: inputs, backward_filter: weights }[pass];
        const o = poisoned(g, size);
        const choice = conv2dVariantChoice(variant);
        const call = await (pass === 'forward' ? conv2dForward(g, conv, n, { x, w, y: o }, { kind: 'none' }, 'c', choice)
          : pass === 'backward_input' ? conv2dBackwardInput(g, conv, n, { dy, w, dx: o }, { kind: 'none' }, 'c', choice)
          : conv2dBackwardFilter(g, conv, n, { x, dy, dw: o }, 'c', choice)).catch((e: Error) => (/cannot run/.test(e.message) ? null : Promise.reject(e)));
        if (!call) continue; // no subgroup path on this device
        submitCalls(g, [call]);
        results.push(await readF32(g, o));
      }
      for (const out of results) expect(out, `conv2d ${pass}, seed ${seed}`).toEqual(results[0]);
    }
  });
});
