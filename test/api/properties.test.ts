/**
 * Property tests of the public API's input boundaries: whatever arrays, bytes or JSON a caller
 * passes, createDataset, loadModel, loadCheckpoint and Sequential.fromJSON either give a consistent
 * result or throw one of the library's typed errors; never a TypeError, RangeError or a crash.
 * The seed is fixed (replay another with WGML_TEST_SEED=<n>); fast-check prints a failing case.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createDataset,
  DataError,
  fitSettingsProblem,
  loadCheckpoint,
  loadModel,
  Sequential,
  ShapeError,
  UsageError,
  WgmlError,
  type Dataset,
  type DatasetArrays,
  type ModelDefinition,
} from '../../src/index';
import { useGpu } from '../support/gpu';
import { readHeader, safetensorsBytes, squareArrays, tinyCnn } from './fixtures';

const fixedSeed = Number.parseInt(process.env.WGML_TEST_SEED ?? '', 10);
const SEED = Number.isSafeInteger(fixedSeed) ? fixedSeed : 20_250_611;
const params = (numRuns: number) => ({ seed: SEED, numRuns });

/** Mostly a valid value; now and then one that is not. */
const mostly = <T, U>(valid: fc.Arbitrary<T>, invalid: fc.Arbitrary<U>) => fc.oneof({ weight: 25, arbitrary: valid }, { weight: 1, arbitrary: invalid });

/** What `fn` threw (undefined when it returned), so a property can tell the outcomes apart. */
function outcome<T>(fn: () => T): { ok: true; value: T } | { ok: false; error: unknown } {
  try {
    return { ok: true, value: fn() };
  } catch (error) {
    return { ok: false, error };
  }
}

const describeError = (e: unknown) => (e instanceof Error ? `${e.constructor.name}: ${e.message}` : String(e));

// ---------------------------------------------------------------------------------------------
// createDataset

/** A label: mostly small class indices, sometimes values that are not labels at all. */
const label = fc.oneof(
  { weight: 80, arbitrary: fc.nat(5) },
  { weight: 1, arbitrary: fc.constantFrom(-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 32, 0xffffffff, 2 ** 53, -0) },
);
const floatPixel = fc.oneof(
  { weight: 200, arbitrary: fc.float({ min: -2, max: 300, noNaN: true }) },
  { weight: 1, arbitrary: fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY) },
);
const validShape = fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 });
const shapeArb = mostly(validShape, fc.constantFrom([], [0], [2, -1], [1.5], [1, 1, 1, 1], [Number.NaN]));

/** Images and labels for `size` values per example: usually consistent, sometimes a few values off. */
function splitArb(size: number, maxCount: number) {
  return fc
    .record({
      labels: fc.array(label, { maxLength: maxCount }),
      float: fc.boolean(),
      lengthError: mostly(fc.constant(0), fc.integer({ min: -3, max: 3 })),
      seed: fc.nat(),
    })
    .chain(({ labels, float, lengthError, seed }) => {
      const length = Math.max(0, labels.length * size + lengthError);
      const images = float
        ? fc.array(floatPixel, { minLength: length, maxLength: length }).map((v) => Float32Array.from(v))
        : fc.constant(Uint8Array.from({ length }, (_, i) => (seed + i * 37) % 256));
      return images.map((imgs) => ({ images: imgs as Uint8Array | Float32Array, labels }));
    });
}

const datasetInput = shapeArb.chain((shape) => {
  const size = shape.every((d) => Number.isSafeInteger(d) && d >= 1) ? shape.reduce((a, b) => a * b, 1) : 3;
  return fc.record({
    shape: fc.constant(shape),
    train: splitArb(size, 14),
    test: fc.option(splitArb(size, 6), { nil: undefined }),
    classes: mostly(
      fc.oneof(fc.constant(undefined), fc.integer({ min: 1, max: 7 }), fc.array(fc.string({ maxLength: 3 }), { minLength: 1, maxLength: 7 })),
      fc.constantFrom(0, -1, 2.5, Number.NaN, [], ['a', 3]),
    ),
    options: fc.record(
      {
        preprocessing: mostly(fc.constantFrom('none', 'scale01', 'standardize'), fc.constant('bogus')),
        validationSplit: mostly(
          fc.oneof(fc.constantFrom(0.1, 0.25, 0.5, 0.9), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true })),
          fc.constantFrom(0, 0.999, 1, -0.1, Number.NaN),
        ),
        trainLimit: mostly(fc.integer({ min: 1, max: 16 }), fc.constantFrom(0, -1, 2.5)),
        testLimit: mostly(fc.integer({ min: 1, max: 8 }), fc.constantFrom(0, -1, 2.5)),
      },
      { requiredKeys: [] },
    ),
  });
});

/** The invariants of a dataset createDataset returned for `input`. */
function checkDataset(d: Dataset, input: DatasetArrays & { options: Record<string, unknown> }): void {
  const { options } = input;
  const size = d.shape.reduce((a, b) => a * b, 1);
  expect([...d.shape]).toEqual([...input.shape]);
  const n = input.train.labels.length;
  const limited = options.trainLimit !== undefined ? Math.min(options.trainLimit as number, n) : n;
  const fraction = (options.validationSplit as number | undefined) ?? 0;
  if (fraction > 0) {
    const held = Math.max(1, Math.round(limited * fraction));
    expect(d.validation.count, 'validation = held-out fraction').toBe(held);
    expect(d.train.count + d.validation.count, 'train + validation = the (limited) training examples').toBe(limited);
    expect([...d.validation.labels]).toEqual(Array.from(input.train.labels, (l) => l + 0).slice(limited - held, limited));
  } else {
    expect(d.train.count).toBe(limited);
    expect(d.validation, 'without a validationSplit, the test set validates').toBe(d.test);
  }
  if (input.test) {
    const m = input.test.labels.length;
    expect(d.test!.count).toBe(options.testLimit !== undefined ? Math.min(options.testLimit as number, m) : m);
  } else {
    expect(d.test).toBeNull();
  }
  expect([...d.train.labels]).toEqual(Array.from(input.train.labels, (l) => l + 0).slice(0, d.train.count));
  for (const split of [d.train, d.validation, ...(d.test ? [d.test] : [])]) {
    expect(split.count).toBeGreaterThan(0);
    expect(split.images.length).toBe(split.count * size);
    expect(split.labels.length).toBe(split.count);
    expect(split.labels.every((l) => l < d.classes.length)).toBe(true);
  }
  expect(d.train.images).toEqual(input.train.images.subarray(0, d.train.count * size));
  const allLabels = [...Array.from(input.train.labels), ...(input.test ? Array.from(input.test.labels) : [])];
  const classes = input.classes;
  expect(d.classes.length).toBe(Array.isArray(classes) ? classes.length : typeof classes === 'number' ? classes : Math.max(...allLabels) + 1);
  expect(d.affine.scale.length).toBe(size);
  expect(d.affine.shift.length).toBe(size);
  expect([...d.affine.scale, ...d.affine.shift].every(Number.isFinite)).toBe(true);
  expect(d.settings.preprocessing).toBe(options.preprocessing ?? 'none');
  expect(d.settings.validationSplit).toBe(fraction);
}

describe('createDataset on arbitrary arrays', () => {
  it('returns a dataset whose splits add up, or throws a DataError or UsageError', () => {
    const seen = { ok: 0, refused: 0 };
    fc.assert(
      fc.property(datasetInput, (input) => {
        const { options, ...arrays } = input;
        const result = outcome(() => createDataset(arrays as DatasetArrays, options as never));
        if (!result.ok) {
          seen.refused++;
          expect(result.error instanceof DataError || result.error instanceof UsageError, describeError(result.error)).toBe(true);
          return;
        }
        seen.ok++;
        checkDataset(result.value, input as never);
      }),
      params(600),
    );
    // Both outcomes were exercised, so neither check above was vacuous.
    expect(seen.ok).toBeGreaterThan(60);
    expect(seen.refused).toBeGreaterThan(60);
  });
});

// ---------------------------------------------------------------------------------------------
// loadModel / loadCheckpoint

/** Anything but a typed DataError fails the property. */
function onlyDataErrors(bytes: Uint8Array): { model?: ReturnType<typeof loadModel>; checkpoint?: ReturnType<typeof loadCheckpoint> } {
  const found: { model?: ReturnType<typeof loadModel>; checkpoint?: ReturnType<typeof loadCheckpoint> } = {};
  const m = outcome(() => loadModel(bytes, 'fuzzed.safetensors'));
  if (!m.ok) expect(m.error, `loadModel threw ${describeError(m.error)}`).toBeInstanceOf(DataError);
  else found.model = m.value;
  const c = outcome(() => loadCheckpoint(bytes, 'fuzzed.safetensors'));
  if (!c.ok) expect(c.error, `loadCheckpoint threw ${describeError(c.error)}`).toBeInstanceOf(DataError);
  else found.checkpoint = c.value;
  return found;
}

/** Safetensors-shaped bytes: a correct length prefix, a JSON header of arbitrary structure, some data. */
const tensorEntry = fc.record(
  {
    dtype: fc.constantFrom('F32', 'F16', 'I64', 7),
    shape: fc.oneof(fc.array(fc.integer({ min: -1, max: 5 }), { maxLength: 3 }), fc.jsonValue()),
    data_offsets: fc.oneof(fc.tuple(fc.integer({ min: -4, max: 64 }), fc.integer({ min: -4, max: 64 })), fc.jsonValue()),
  },
  { requiredKeys: [] },
);
const architectureText = fc.oneof(
  fc.constant(JSON.stringify(tinyCnn().toJSON())),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.string(),
);
const metadataArb = fc.record(
  {
    format: fc.constantFrom('wgml-weights/1', 'wgml-checkpoint/2', 'other'),
    architecture: architectureText,
    state: fc.oneof(fc.jsonValue().map((v) => JSON.stringify(v)), fc.string()),
  },
  { requiredKeys: [] },
);
const structuredFile = fc
  .tuple(
    fc.oneof(
      fc.dictionary(fc.string({ maxLength: 12 }), fc.oneof(tensorEntry, fc.jsonValue()), { maxKeys: 4 }),
      fc.record({ __metadata__: fc.oneof(metadataArb, fc.jsonValue()) }),
      fc.jsonValue(),
    ),
    fc.uint8Array({ maxLength: 64 }),
  )
  .map(([header, data]) => safetensorsBytes(header, data));

/** A header whose one entry is null: JSON-valid, and no tensor. */
const NULL_ENTRY = safetensorsBytes({ weights: null });

describe('loadModel and loadCheckpoint on arbitrary bytes', () => {
  it('random bytes: only DataErrors', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        onlyDataErrors(bytes);
      }),
      params(400),
    );
  });

  it('safetensors-shaped bytes with arbitrary JSON headers: only DataErrors', () => {
    fc.assert(
      fc.property(structuredFile, (bytes) => {
        onlyDataErrors(bytes);
      }),
      { ...params(600), examples: [[NULL_ENTRY]] },
    );
  });
});

describe('loadModel and loadCheckpoint on mutated files', () => {
  const gpu = useGpu();
  let weights: Uint8Array;
  let checkpoint: Uint8Array;
  let paramCount: number;
  beforeAll(async () => {
    const model = tinyCnn();
    paramCount = model.paramCount;
    await model.compile(gpu(), { seed: 4 });
    await model.fit(createDataset(squareArrays(48, 16, 4), { preprocessing: 'scale01', validationSplit: 0.25 }), { epochs: 1, batchSize: 12, seed: 4 });
    weights = await model.save({ note: 'fuzz me' });
    checkpoint = await model.checkpoint();
    model.release();
  });

  /** One edit of a file: a flipped bit (mostly in the header), a byte set, a cut, a byte dropped or added. */
  const mutation = (size: () => number, headerEnd: () => number) =>
    fc.oneof(
      { weight: 4, arbitrary: fc.tuple(fc.constant('flip' as const), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), fc.nat(7), fc.boolean()) },
      { weight: 2, arbitrary: fc.tuple(fc.constant('set' as const), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), fc.nat(255), fc.boolean()) },
      { weight: 1, arbitrary: fc.tuple(fc.constant('cut' as const), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), fc.constant(0), fc.boolean()) },
      { weight: 1, arbitrary: fc.tuple(fc.constant('drop' as const), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), fc.constant(0), fc.constant(true)) },
      { weight: 1, arbitrary: fc.tuple(fc.constant('insert' as const), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), fc.nat(255), fc.constant(true)) },
    ).map(([kind, where, value, inHeader]) => ({ kind, at: Math.floor(where * (inHeader ? headerEnd() : size())), value }));

  function mutate(bytes: Uint8Array, edits: { kind: string; at: number; value: number }[]): Uint8Array {
    let out = bytes.slice();
    for (const { kind, at, value } of edits) {
      const i = Math.min(at, Math.max(0, out.length - 1));
      if (kind === 'flip' && out.length) out[i]! ^= 1 << value;
      else if (kind === 'set' && out.length) out[i] = value;
      else if (kind === 'cut') out = out.slice(0, i);
      else if (kind === 'drop') out = Uint8Array.from([...out.subarray(0, i), ...out.subarray(i + 1)]);
      else if (kind === 'insert') out = Uint8Array.from([...out.subarray(0, i), value, ...out.subarray(i)]);
    }
    return out;
  }

  it('the unmutated files load (the control for the properties below)', () => {
    expect(onlyDataErrors(weights).model?.paramCount).toBe(paramCount);
    expect(onlyDataErrors(checkpoint).checkpoint?.epoch).toBe(1);
  });

  it('a weights file with bits flipped, bytes changed or cut: a DataError, or a usable model', async () => {
    const loaded: ReturnType<typeof loadModel>[] = [];
    fc.assert(
      fc.property(fc.array(mutation(() => weights.length, () => readHeader(weights).dataStart), { minLength: 1, maxLength: 3 }), (edits) => {
        const { model } = onlyDataErrors(mutate(weights, edits));
        if (model) loaded.push(model);
      }),
      params(500),
    );
    // Whatever loaded is a consistent model: its weights are finite, one per parameter, and its
    // definition survives a round trip.
    for (const model of loaded) {
      const w = await model.getWeights();
      expect(w.length).toBe(model.params.totalElements);
      expect(w.every(Number.isFinite)).toBe(true);
      expect(Sequential.fromJSON(model.toJSON()).toJSON()).toEqual(model.toJSON());
    }
  });

  it('a checkpoint with bits flipped, bytes changed or cut: a DataError, or a consistent run', () => {
    fc.assert(
      fc.property(fc.array(mutation(() => checkpoint.length, () => readHeader(checkpoint).dataStart), { minLength: 1, maxLength: 3 }), (edits) => {
        const { checkpoint: ck } = onlyDataErrors(mutate(checkpoint, edits));
        if (!ck) return;
        const count = ck.model.params.totalElements;
        expect(fitSettingsProblem(ck.fit as never)).toBeNull();
        expect(ck.state.params.length).toBe(count);
        expect(ck.state.params.every(Number.isFinite)).toBe(true);
        for (const values of Object.values(ck.state.optimizer)) expect(values.length).toBe(count);
        expect(Number.isSafeInteger(ck.state.globalStep) && ck.state.globalStep >= 0).toBe(true);
        expect(ck.affine.scale.length).toBe(ck.model.inputSize);
      }),
      params(500),
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Sequential.fromJSON

const smallInt = mostly(fc.integer({ min: 1, max: 4 }), fc.constantFrom(0, -1, 1.5, '3', null, 9));
const hiddenActivation = mostly(fc.constantFrom('linear', 'relu', 'sigmoid'), fc.constantFrom('softmax', 'tanh'));
const layerName = mostly(fc.constantFrom('a', 'b', 'dense_1', 'conv2d_2', 'flatten_1'), fc.constantFrom('', 'x'.repeat(129), 7));
/** `fc.option`'s `freq` is the odds of nil (1 in freq); this is the odds of a value instead. */
const rarely = <T>(arb: fc.Arbitrary<T>, odds: number) => fc.oneof({ weight: odds - 1, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: arb });
const extraField = rarely(fc.record({ extra: fc.jsonValue() }), 30);
/** `layer` with each optional field present or not, and now and then a field that does not exist. */
const layerArb = <T extends Record<string, unknown>>(fields: { [K in keyof T]: fc.Arbitrary<T[K]> }, required: (keyof T)[]) =>
  fc
    .tuple(
      fc.record(fields, { requiredKeys: required as never[] }),
      rarely(layerName, 5),
      extraField,
    )
    .map(([layer, name, extra]) => ({ ...layer, ...(name === undefined ? {} : { name }), ...(extra ?? {}) }));

const imageLayer = fc.oneof(
  layerArb({ type: fc.constant('conv2d'), filters: smallInt, kernelSize: fc.oneof(smallInt, fc.tuple(smallInt, smallInt)), stride: smallInt, padding: mostly(fc.constantFrom('valid', 'same'), fc.constant('full')), activation: hiddenActivation }, ['type', 'filters', 'kernelSize']),
  layerArb({ type: fc.constant('maxpool2d'), poolSize: fc.oneof(smallInt, fc.tuple(smallInt, smallInt)), stride: fc.oneof(smallInt, fc.tuple(smallInt, smallInt)) }, ['type']),
  layerArb({ type: fc.constant('dropout'), rate: mostly(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), fc.constantFrom(-0.1, 1)) }, ['type', 'rate']),
);
const denseLayer = layerArb({ type: fc.constant('dense'), units: smallInt, activation: hiddenActivation }, ['type', 'units']);
const anyLayer = fc.oneof(imageLayer, denseLayer, fc.record({ type: fc.constantFrom('flatten', 'conv1d', 'Dense') }), fc.jsonValue());

/** Definitions that are often valid: image layers, a flatten, dense layers, a softmax head; sometimes a stray layer. */
const definitionArb = fc
  .record({
    name: fc.option(mostly(fc.constantFrom('m', 'my model'), fc.constantFrom('', 'x'.repeat(129))), { nil: undefined, freq: 2 }),
    input: fc.oneof({ weight: 8, arbitrary: fc.constantFrom([8, 8, 3], [6, 6, 1], [5, 7, 2], [12], [4, 4], [1, 1, 1]) }, { weight: 1, arbitrary: fc.array(fc.integer({ min: -1, max: 9 }), { maxLength: 4 }) }),
    image: fc.array(imageLayer, { maxLength: 3 }),
    flatten: fc.option(layerArb({ type: fc.constant('flatten') }, ['type']), { nil: undefined, freq: 8 }),
    dense: fc.array(denseLayer, { maxLength: 2 }),
    head: mostly(layerArb({ type: fc.constant('dense'), units: fc.integer({ min: 1, max: 6 }), activation: fc.constant('softmax') }, ['type', 'units', 'activation']), denseLayer),
    stray: rarely(fc.tuple(fc.nat(6), anyLayer), 10),
    train: fc.option(
      fc.record(
        {
          optimizer: mostly(fc.constantFrom('adam', 'sgd'), fc.constant('rmsprop')),
          lr: mostly(fc.constantFrom(0.1, 1e-3), fc.constantFrom(0, -1)),
          batchSize: smallInt,
          epochs: smallInt,
          preprocessing: mostly(fc.constantFrom('none', 'scale01', 'standardize'), fc.constant('x')),
          patience: mostly(fc.constantFrom(null, 1, 3), fc.constant(0)),
          validationSplit: mostly(fc.constantFrom(0, 0.1), fc.constant(1)),
          seed: mostly(fc.constantFrom(0, 7, 2 ** 32 - 1), fc.constantFrom(-1, 2 ** 32)),
        },
        { requiredKeys: [] },
      ),
      { nil: undefined, freq: 3 },
    ),
  })
  .map(({ name, input, image, flatten, dense, head, stray, train }) => {
    const layers: unknown[] = [...image, ...(flatten ? [flatten] : []), ...dense, head];
    if (stray) layers.splice(stray[0] % (layers.length + 1), 0, stray[1]);
    return { ...(name !== undefined ? { name } : {}), input, layers, ...(train ? { train } : {}) };
  });

type Shape = number[];

/** Shape inference written out from the documented (Keras) rules: the oracle for model.shapes and paramCount. */
function expectedShapes(def: ModelDefinition): { shapes: Shape[]; params: number } {
  let shape: Shape = [...def.input];
  const shapes = [shape];
  let params = 0;
  const pair = (v: number | readonly number[] | undefined, d: number) => (v === undefined ? [d, d] : typeof v === 'number' ? [v, v] : [v[0]!, v[1]!]);
  for (const l of def.layers) {
    if (l.type === 'dense') {
      params += shape[0]! * l.units + l.units;
      shape = [l.units];
    } else if (l.type === 'conv2d') {
      const [h, w, c] = shape as [number, number, number];
      const [kh, kw] = pair(l.kernelSize, 0);
      const s = l.stride ?? 1;
      const [oh, ow] = l.padding === 'same' ? [Math.ceil(h / s), Math.ceil(w / s)] : [Math.floor((h - kh!) / s) + 1, Math.floor((w - kw!) / s) + 1];
      params += kh! * kw! * c * l.filters + l.filters;
      shape = [oh, ow, l.filters];
    } else if (l.type === 'maxpool2d') {
      const [h, w, c] = shape as [number, number, number];
      const [ph, pw] = pair(l.poolSize, 2);
      const [sh, sw] = l.stride === undefined ? [ph, pw] : pair(l.stride, 0);
      shape = [Math.floor((h - ph!) / sh!) + 1, Math.floor((w - pw!) / sw!) + 1, c];
    } else if (l.type === 'flatten') {
      shape = [shape.reduce((a, b) => a * b, 1)];
    }
    shapes.push(shape);
  }
  return { shapes, params };
}

describe('Sequential.fromJSON on arbitrary definitions', () => {
  it('throws a UsageError or ShapeError, or builds a model whose toJSON() round-trips', () => {
    const seen = { built: 0, usage: 0, shape: 0 };
    fc.assert(
      fc.property(definitionArb, (def) => {
        const result = outcome(() => Sequential.fromJSON(def));
        if (!result.ok) {
          const e = result.error;
          expect(e instanceof UsageError || e instanceof ShapeError, describeError(e)).toBe(true);
          if (e instanceof UsageError) seen.usage++;
          else seen.shape++;
          return;
        }
        seen.built++;
        const model = result.value;
        const json = model.toJSON();
        expect(Sequential.fromJSON(json).toJSON()).toEqual(json);
        expect(Sequential.fromJSON(JSON.stringify(json, null, 2)).toJSON()).toEqual(json);
        expect(json.layers).toHaveLength(def.layers.length);
        expect([...model.inputShape]).toEqual(def.input);
        const oracle = expectedShapes(json);
        expect(model.shapes.map((s) => [...s])).toEqual(oracle.shapes);
        expect(model.paramCount).toBe(oracle.params);
        expect(model.classes).toBe((def.layers.at(-1) as { units: number }).units);
        expect(json.train).toEqual((def as { train?: unknown }).train);
        expect(new Set(json.layers.map((l) => l.name)).size, 'layer names are unique').toBe(json.layers.length);
        expect(model.summary()).toContain(`Total params: ${oracle.params.toLocaleString('en-US')}`);
      }),
      params(800),
    );
    expect(seen.built).toBeGreaterThan(80);
    expect(seen.usage).toBeGreaterThan(80);
    expect(seen.shape).toBeGreaterThan(20);
  });

  it('arbitrary JSON values and texts: only UsageErrors or ShapeErrors', () => {
    const typed = (e: unknown) => e instanceof UsageError || e instanceof ShapeError;
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.record({ input: fc.jsonValue(), layers: fc.array(anyLayer, { maxLength: 4 }) })), (value) => {
        const fromValue = outcome(() => Sequential.fromJSON(value));
        if (!fromValue.ok) expect(typed(fromValue.error), describeError(fromValue.error)).toBe(true);
        const fromText = outcome(() => Sequential.fromJSON(JSON.stringify(value) ?? 'null'));
        if (!fromText.ok) expect(typed(fromText.error), describeError(fromText.error)).toBe(true);
      }),
      params(500),
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (text) => {
        const r = outcome(() => Sequential.fromJSON(text, 'fuzz.json'));
        expect(r.ok, 'random text is not a model').toBe(false);
        if (r.ok) return;
        expect(typed(r.error), describeError(r.error)).toBe(true);
        expect((r.error as WgmlError).message).toMatch(/^fuzz\.json/);
      }),
      params(300),
    );
  });
});
