/**
 * Bad input through the public API: every mistake is a typed error (UsageError, DataError,
 * ShapeError, GpuError) whose message names the argument at fault, raised before any GPU work
 * where the mistake can be seen without the GPU, and leaving the model as it was (it still works
 * with good input afterwards).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  Conv2d,
  createDataset,
  DataError,
  Dense,
  Dropout,
  Flatten,
  GpuError,
  loadCheckpoint,
  loadModel,
  MaxPool2d,
  requestGpu,
  Sequential,
  ShapeError,
  UsageError,
  WgmlError,
  type Dataset,
  type Gpu,
} from '../../src/index';
import { useGpu } from '../support/gpu';
import { CLASSES, editHeader, expectRejects, expectThrows, metadataOf, PIXELS, readHeader, SHAPE, squareArrays, squares, thrown, tinyCnn } from './fixtures';

const gpu = useGpu();

/**
 * Counts the GPU calls made on `g`'s device (buffers, pipelines, shaders, bind groups, encoders,
 * queue writes and submits) while `body` runs; restores the device's methods afterwards.
 */
async function gpuCallsDuring(g: Gpu, body: () => Promise<void>): Promise<number> {
  const device = g.device as unknown as Record<string, (...args: unknown[]) => unknown>;
  const queue = g.device.queue as unknown as Record<string, (...args: unknown[]) => unknown>;
  const targets: [Record<string, (...args: unknown[]) => unknown>, string[]][] = [
    [device, ['createBuffer', 'createCommandEncoder', 'createComputePipeline', 'createComputePipelineAsync', 'createBindGroup', 'createShaderModule']],
    [queue, ['submit', 'writeBuffer']],
  ];
  let calls = 0;
  const originals: [Record<string, unknown>, string, unknown][] = [];
  for (const [object, names] of targets) {
    for (const name of names) {
      const original = object[name]!;
      originals.push([object, name, original]);
      object[name] = (...args: unknown[]) => {
        calls++;
        return original.apply(object, args);
      };
    }
  }
  try {
    await body();
  } finally {
    for (const [object, name, original] of originals) object[name] = original;
  }
  return calls;
}

const squaresData = (options: Parameters<typeof createDataset>[1] = { preprocessing: 'scale01', validationSplit: 0.25 }) => createDataset(squareArrays(64, 32), options);

describe('layers with impossible sizes are refused at construction, naming the option', () => {
  it('Dense units 0, -3, 2.5 or NaN', () => {
    for (const units of [0, -3, 2.5, Number.NaN]) expectThrows(() => new Dense({ units }), ShapeError, /units/, new RegExp(`got ${units}`));
  });

  it('Conv2d filters -1, kernelSize 0 (or [3, 0]), stride 0', () => {
    expectThrows(() => new Conv2d({ filters: -1, kernelSize: 3 }), ShapeError, /filters/, /-1/);
    expectThrows(() => new Conv2d({ filters: 4, kernelSize: 0 }), ShapeError, /kernelSize/);
    expectThrows(() => new Conv2d({ filters: 4, kernelSize: [3, 0] }), ShapeError, /kernelSize/);
    expectThrows(() => new Conv2d({ filters: 4, kernelSize: 3, stride: 0 }), ShapeError, /stride/);
    expectThrows(() => new Conv2d({ filters: 4, kernelSize: 3, padding: 'full' as 'same' }), ShapeError, /padding/, /full/);
  });

  it('MaxPool2d poolSize 0, stride -2', () => {
    expectThrows(() => new MaxPool2d({ poolSize: 0 }), ShapeError, /poolSize/);
    expectThrows(() => new MaxPool2d({ poolSize: 2, stride: -2 }), ShapeError, /stride/);
  });

  it('Dropout rate 1, -0.1 or NaN (it must be in [0, 1))', () => {
    for (const rate of [1, -0.1, Number.NaN]) expectThrows(() => new Dropout({ rate }), ShapeError, /rate/);
    expect(new Dropout({ rate: 0 }).rate).toBe(0); // the boundary that is allowed
  });

  it('an activation that does not exist is refused by the layer, naming it', () => {
    // From JavaScript (or a cast) nothing stops a typo; the layer must, as the JSON format does.
    const e1 = thrown(() => new Dense({ units: 2, activation: 'tanh' as 'relu' }));
    expect(e1, 'Dense({ activation: "tanh" })').toBeInstanceOf(WgmlError);
    expect(e1 instanceof ShapeError || e1 instanceof UsageError).toBe(true);
    expect((e1 as Error).message).toMatch(/activation/);
    expect((e1 as Error).message).toMatch(/tanh/);
    const e2 = thrown(() => new Conv2d({ filters: 2, kernelSize: 3, activation: 'gelu' as 'relu' }));
    expect(e2, 'Conv2d({ activation: "gelu" })').toBeInstanceOf(WgmlError);
    expect((e2 as Error).message).toMatch(/activation/);
  });

  it('a model with no layers, a bad input shape, or two layers of one name', () => {
    expectThrows(() => new Sequential({ input: [4], layers: [] }), ShapeError, /at least one layer/);
    expectThrows(() => new Sequential({ input: [4, 0], layers: [new Flatten(), new Dense({ units: 2, activation: 'softmax' })] }), ShapeError, /input shape \[4,0\]/);
    expectThrows(() => new Sequential({ input: [2, 2, 2, 2], layers: [new Flatten(), new Dense({ units: 2, activation: 'softmax' })] }), ShapeError, /input shape/);
    expectThrows(() => new Sequential({ input: [4], layers: [new Dense({ units: 3, name: 'x' }), new Dense({ units: 2, activation: 'softmax', name: 'x' })] }), ShapeError, /'x'/);
  });

  it('a layer that does not take the shape before it names itself and its place', () => {
    expectThrows(() => new Sequential({ input: [8, 8, 3], layers: [new Dense({ units: 2, activation: 'softmax' })] }), ShapeError, /layers\[0\] \(dense_1\)/, /Flatten/);
    expectThrows(() => new Sequential({ input: [12], layers: [new Conv2d({ filters: 2, kernelSize: 3 }), new Flatten(), new Dense({ units: 2, activation: 'softmax' })] }), ShapeError, /layers\[0\] \(conv2d_1\)/);
  });
});

describe('model definitions (Sequential.fromJSON) name the field at fault', () => {
  const conv = (extra: object = {}) => ({ type: 'conv2d', filters: 2, kernelSize: 3, ...extra });
  const head = { type: 'dense', units: 4, activation: 'softmax' };
  const def = (layers: unknown[], extra: object = {}) => ({ input: [8, 8, 3], layers, ...extra });

  it('an unknown layer type', () => {
    expectThrows(() => Sequential.fromJSON(def([conv(), { type: 'flatten' }, { type: 'dense3', units: 2 }, head])), UsageError, /layers\[2\]\.type/, /unknown layer type/, /dense, conv2d/);
  });

  it('an unknown field, listing the allowed ones', () => {
    expectThrows(() => Sequential.fromJSON(def([{ type: 'flatten' }, { ...head, bias: true }])), UsageError, /layers\[1\]/, /'bias'/, /allowed: .*units/);
    expectThrows(() => Sequential.fromJSON(def([{ type: 'flatten' }, head], { optimiser: 'adam' })), UsageError, /'optimiser'/);
    expectThrows(() => Sequential.fromJSON(def([{ type: 'flatten' }, head], { train: { learningRate: 0.1 } })), UsageError, /train/, /'learningRate'/, /allowed: .*lr/);
  });

  it('a value of the wrong type', () => {
    expectThrows(() => Sequential.fromJSON(def([conv(), { type: 'maxpool2d' }, conv({ filters: '8' }), { type: 'flatten' }, head])), UsageError, /layers\[2\]\.filters/, /expected number/, /"8"/);
    expectThrows(() => Sequential.fromJSON({ input: '8x8x3', layers: [head] }), UsageError, /input/);
    expectThrows(() => Sequential.fromJSON(def([conv({ padding: 'full' }), { type: 'flatten' }, head])), UsageError, /layers\[0\]\.padding/, /"full"/, /"same"/);
  });

  it('a value out of range', () => {
    expectThrows(() => Sequential.fromJSON(def([conv(), { type: 'maxpool2d' }, conv({ filters: 0 }), { type: 'flatten' }, head])), UsageError, /layers\[2\]\.filters/, /got 0/);
    expectThrows(() => Sequential.fromJSON(def([{ type: 'flatten' }, { type: 'dropout', rate: 1.5 }, head])), UsageError, /layers\[1\]\.rate/, /1\.5/);
    expectThrows(() => Sequential.fromJSON(def([conv({ kernelSize: [3, 0] }), { type: 'flatten' }, head])), UsageError, /layers\[0\]\.kernelSize\[1\]/);
    expectThrows(() => Sequential.fromJSON(def([{ type: 'flatten' }, head], { train: { lr: -1 } })), UsageError, /train\.lr/, /-1/);
    expectThrows(() => Sequential.fromJSON({ input: [8, 8, 3, 1], layers: [{ type: 'flatten' }, head] }), UsageError, /input/);
  });

  it('a missing required field', () => {
    expectThrows(() => Sequential.fromJSON({ layers: [head] }), UsageError, /input/, /required/);
    expectThrows(() => Sequential.fromJSON(def([{ type: 'flatten' }, { type: 'dense', activation: 'softmax' }])), UsageError, /layers\[1\]\.units/, /required/);
    // A size field takes n or [height, width], and says so.
    expectThrows(() => Sequential.fromJSON({ input: [8, 8, 1], layers: [{ type: 'conv2d', filters: 2 }, { type: 'flatten' }, head] }), UsageError, /layers\[0\]\.kernelSize: is required \(a whole number n, or \[height, width\]\)/);
    expectThrows(() => Sequential.fromJSON({ input: [8, 8, 1], layers: [{ type: 'conv2d', filters: 2, kernelSize: [3] }, { type: 'flatten' }, head] }), UsageError, /layers\[0\]\.kernelSize: expected a whole number n or \[height, width\], got \[3\]/);
  });

  it('a misspelt field is named as unknown (not only the required one it leaves missing); an empty name', () => {
    expectThrows(() => Sequential.fromJSON({ input: [8, 8, 1], layers: [{ type: 'conv2d', filter: 2, kernelSize: 3 }, { type: 'flatten' }, head] }), UsageError, /layers\[0\]: unknown field 'filter' \(allowed: type, name, filters, .*\); did you mean 'filters'\?/);
    expectThrows(() => Sequential.fromJSON({ name: '', input: [784], layers: [head] }), UsageError, /name: must not be empty/);
  });

  it('no softmax on the last layer', () => {
    expectThrows(() => Sequential.fromJSON(def([{ type: 'flatten' }, { type: 'dense', units: 4 }])), ShapeError, /last layer, layers\[1\] \(dense_1\)/, /softmax/);
    expectThrows(() => Sequential.fromJSON(def([conv(), { type: 'flatten' }])), ShapeError, /last layer, layers\[1\] \(flatten_1\)/);
  });

  it('softmax on a hidden layer', () => {
    expectThrows(() => Sequential.fromJSON(def([{ type: 'flatten' }, { type: 'dense', units: 8, activation: 'softmax' }, head])), ShapeError, /layers\[1\] \(dense_1\)/, /softmax is only for the last layer/);
    expectThrows(() => Sequential.fromJSON(def([conv({ activation: 'softmax' }), { type: 'flatten' }, head])), UsageError, /layers\[0\]\.activation/, /"softmax"/);
  });

  it('a shape that collapses to nothing names the layer and its place', () => {
    // 8x8 -> conv 3x3 -> 6x6 -> pool 4 -> 1x1 -> conv 3x3: nothing left.
    expectThrows(() => Sequential.fromJSON(def([conv(), { type: 'maxpool2d', poolSize: 4 }, conv(), { type: 'flatten' }, head])), ShapeError, /layers\[2\] \(conv2d_2\)/, /3x3/, /1x1/);
    expectThrows(() => Sequential.fromJSON(def([{ type: 'maxpool2d', poolSize: 9 }, { type: 'flatten' }, head])), ShapeError, /layers\[0\] \(max_pooling2d_1\)/, /9x9/);
  });

  it('invalid JSON text: the message has the source, line and column', () => {
    const text = '{\n  "input": [8, 8, 3],\n  "layers": [ { "type": "flatten" } { "type": "dense", "units": 4 } ]\n}';
    const column = text.split('\n')[2]!.indexOf('{ "type": "dense"') + 1;
    expectThrows(() => Sequential.fromJSON(text, 'my-model.json'), UsageError, /my-model\.json/, new RegExp(`line 3, column ${column}\\b`));
    expectThrows(() => Sequential.fromJSON(''), UsageError, /line 1, column 1/);
    expectThrows(() => Sequential.fromJSON('{ "input": [4], // a comment\n "layers": [] }'), UsageError, /line 1/);
  });

  it('not an object at all', () => {
    for (const value of [null, 5, [], 'true']) expectThrows(() => Sequential.fromJSON(value), UsageError, /expected object/);
  });
});

describe('datasets: createDataset refuses inconsistent arrays, naming what is wrong', () => {
  const { images, labels } = squares(6, 3);

  it('images whose length is not count x example size', () => {
    expectThrows(() => createDataset({ train: { images: images.subarray(1), labels }, shape: [...SHAPE] }, { validationSplit: 0.5 }), DataError, /image values/, new RegExp(`${6 * PIXELS - 1}`), new RegExp(`${6 * PIXELS}`));
    expectThrows(() => createDataset({ train: { images, labels }, test: { images: images.subarray(0, PIXELS + 5), labels: [1] }, shape: [...SHAPE] }), DataError, /\(test\)/, /image values/);
    // The same values are a whole number of examples of another shape, but not of this one.
    expectThrows(() => createDataset({ train: { images, labels }, shape: [7, 7, 3] }, { validationSplit: 0.5 }), DataError, /image values/);
  });

  it('labels at or above the class count, negative, or fractional', () => {
    const arrays = (l: number[]) => ({ train: { images, labels: l }, shape: [...SHAPE], classes: [...CLASSES] });
    expectThrows(() => createDataset(arrays([0, 1, 2, 3, 4, 0]), { validationSplit: 0.5 }), DataError, /label 4 at index 4/, /4 classes/);
    expectThrows(() => createDataset(arrays([0, 1, -1, 3, 2, 0]), { validationSplit: 0.5 }), DataError, /label -1 at index 2/);
    expectThrows(() => createDataset(arrays([0, 1.5, 1, 3, 2, 0]), { validationSplit: 0.5 }), DataError, /label 1\.5 at index 1/);
    expectThrows(() => createDataset(arrays([0, 1, 1, 3, 2, Number.NaN]), { validationSplit: 0.5 }), DataError, /label NaN at index 5/);
    const test = { images: images.subarray(0, 2 * PIXELS), labels: [1, 7] };
    expectThrows(() => createDataset({ ...arrays([0, 1, 2, 3, 2, 0]), test }), DataError, /\(test\)/, /label 7 at index 1/);
  });

  it('a huge label with no class list is a DataError, not a crash', () => {
    // Without `classes`, the class count is the largest label + 1: 2^32 class names cannot be made.
    // (Labels near 2^31 exhaust the heap and kill the process instead; this one fails fast.)
    const e = thrown(() => createDataset({ train: { images: new Uint8Array([1, 2]), labels: [0, 0xffffffff] }, shape: [1] }, { validationSplit: 0.5 }));
    expect(e, String(e)).toBeInstanceOf(DataError);
    expect((e as Error).message).toMatch(/label|classes/);
  });

  it('NaN or infinite float pixels, naming the pixel and image', () => {
    const floats = Float32Array.from(images, (v) => v / 255);
    for (const [bad, text] of [[Number.NaN, 'NaN'], [Number.POSITIVE_INFINITY, 'Infinity'], [Number.NEGATIVE_INFINITY, '-Infinity']] as const) {
      const copy = floats.slice();
      copy[2 * PIXELS + 5] = bad;
      expectThrows(() => createDataset({ train: { images: copy, labels }, shape: [...SHAPE] }, { validationSplit: 0.5 }), DataError, new RegExp(`pixel ${2 * PIXELS + 5} \\(image 2\\) is ${text}`));
    }
  });

  it("'standardize' on float pixels that barely vary gives a finite pre-processing (or a DataError)", () => {
    // Pixel 0 of the three training examples is 1.4e-45 (the smallest float), 0, 0: its std (~7e-46)
    // is not 0, but 1 / std overflows float32. Pixel 1 is 0.5 throughout.
    const tiny = Float32Array.from([1.401298464324817e-45, 0.5, 0, 0.5, 0, 0.5, 0, 0.5]);
    const result = (() => {
      try {
        return createDataset({ train: { images: tiny, labels: [0, 1, 0, 1] }, shape: [2] }, { preprocessing: 'standardize', validationSplit: 0.25 });
      } catch (e) {
        return e;
      }
    })();
    if (result instanceof Error) {
      expect(result).toBeInstanceOf(DataError);
    } else {
      const { scale, shift } = (result as Dataset).affine;
      expect([...scale, ...shift], `scale ${[...scale]}, shift ${[...shift]}`).toSatisfy((v: number[]) => v.every(Number.isFinite));
    }
  });

  it('an empty dataset, an empty test set, or no validation examples', () => {
    expectThrows(() => createDataset({ train: { images: new Uint8Array(0), labels: [] }, shape: [...SHAPE] }, { validationSplit: 0.5 }), DataError, /no training examples/);
    expectThrows(() => createDataset({ train: { images, labels }, test: { images: new Uint8Array(0), labels: [] }, shape: [...SHAPE] }), DataError, /empty test set/);
    expectThrows(() => createDataset({ train: { images, labels }, shape: [...SHAPE] }), UsageError, /no test set to validate on/, /validationSplit/);
    expectThrows(() => createDataset({ train: { images: images.subarray(0, PIXELS), labels: [0] }, shape: [...SHAPE] }, { validationSplit: 0.5 }), UsageError, /validationSplit 0\.5 of 1 training examples/);
  });

  it('bad options, shapes and array types', () => {
    const arrays = { train: { images, labels }, shape: [...SHAPE] };
    expectThrows(() => createDataset(arrays, { validationSplit: 1 }), UsageError, /validationSplit/);
    expectThrows(() => createDataset(arrays, { validationSplit: 0.5, preprocessing: 'normalize' as 'none' }), UsageError, /preprocessing 'normalize'/);
    expectThrows(() => createDataset(arrays, { validationSplit: 0.5, trainLimit: 0 }), UsageError, /trainLimit/);
    expectThrows(() => createDataset({ ...arrays, shape: [8, 0, 3] }, { validationSplit: 0.5 }), UsageError, /shape \[8,0,3\]/);
    expectThrows(() => createDataset({ ...arrays, classes: 0 }, { validationSplit: 0.5 }), UsageError, /classes/);
    expectThrows(() => createDataset({ train: { images: Int16Array.from(images) as unknown as Uint8Array, labels }, shape: [...SHAPE] }, { validationSplit: 0.5 }), UsageError, /images must be a Uint8Array or Float32Array/);
  });

  it('a missing train split or a null argument is a UsageError, not a TypeError', () => {
    for (const call of [
      () => createDataset({ shape: [...SHAPE] } as never, { validationSplit: 0.5 }),
      () => createDataset(null as never),
      () => createDataset({ train: { images, labels }, shape: [...SHAPE] }, null as never),
    ]) {
      const e = thrown(call);
      expect(e, String(e)).toBeInstanceOf(UsageError);
    }
  });
});

describe('models and data that do not fit', () => {
  let data: Dataset;
  beforeAll(() => {
    data = squaresData();
  });

  it('a model predicting 3 classes, fitted or evaluated on 4-class data: a ShapeError naming both, before any GPU work', async () => {
    const model = new Sequential({ name: 'three', input: [...SHAPE], layers: [new Flatten(), new Dense({ units: 3, activation: 'softmax' })] });
    await model.compile(gpu());
    const calls = await gpuCallsDuring(gpu(), async () => {
      await expectRejects(model.fit(data, { epochs: 1, batchSize: 8 }), ShapeError, /predicts 3 classes/, /4 classes/, /\(None, 8, 8, 3\)/);
      await expectRejects(model.evaluate(data), ShapeError, /predicts 3 classes/, /4 classes/);
    });
    expect(calls, 'GPU calls made before refusing').toBe(0);
    expect(model.trainingStep, 'no training step was built').toBeNull();
    expect(model.preprocessing, 'the dataset was not adopted').toBeNull();
    model.release();
  });

  it('a single-unit output layer (a common binary-classifier habit) is named in the singular: "predicts 1 class"', async () => {
    const model = new Sequential({ name: 'one', input: [...SHAPE], layers: [new Flatten(), new Dense({ units: 1, activation: 'softmax' })] });
    await model.compile(gpu());
    await expectRejects(model.fit(data, { epochs: 1, batchSize: 8 }), ShapeError, /predicts 1 class;/, /and 4 classes\./);
    model.release();
  });

  it('a model whose input is smaller than the images: a ShapeError naming both shapes', async () => {
    const model = new Sequential({ name: 'six', input: [6, 6, 3], layers: [new Flatten(), new Dense({ units: 4, activation: 'softmax' })] });
    await model.compile(gpu());
    await expectRejects(model.fit(data, { epochs: 1, batchSize: 8 }), ShapeError, /\(None, 6, 6, 3\)/, /\(None, 8, 8, 3\)/);
    await expectRejects(model.evaluate(data), ShapeError, /\(None, 6, 6, 3\)/, /\(None, 8, 8, 3\)/);
    model.release();
  });

  it('images of the same size in another layout ([3, 8, 8] for an [8, 8, 3] model) do not fit either', async () => {
    // A flat model may take any image of its size (e.g. [784] for [28, 28, 1]); an image model may not
    // take channels-first data: it would train on scrambled pixels without a word.
    const model = tinyCnn('hwc');
    const chw = createDataset({ ...squareArrays(64, 32), shape: [3, 8, 8] }, { validationSplit: 0.25 });
    await model.compile(gpu());
    await expectRejects(model.fit(chw, { epochs: 1, batchSize: 8 }), ShapeError, /\(None, 8, 8, 3\)/, /\(None, 3, 8, 8\)/);
    model.release();
  });

  it('a flat model takes images of its size (positive control for the check above)', async () => {
    const flat = new Sequential({ name: 'flat', input: [PIXELS], layers: [new Dense({ units: 4, activation: 'softmax' })] });
    await flat.compile(gpu());
    const history = await flat.fit(data, { epochs: 1, batchSize: 16 });
    expect(history.epochs).toHaveLength(1);
    flat.release();
  });

  it('a batch larger than the training data: fit rejects with a UsageError before any GPU work, and the model still trains', async () => {
    const model = tinyCnn();
    await model.compile(gpu());
    const calls = await gpuCallsDuring(gpu(), () => expectRejects(model.fit(data, { epochs: 1, batchSize: 64 }), UsageError, /batch size \(64\)/, /48 examples/));
    expect(calls).toBe(0);
    expect(model.trainingStep).toBeNull();
    // The counter does see GPU work (the control for the zero above), and the model trains.
    let history: Awaited<ReturnType<typeof model.fit>> | undefined;
    const trainingCalls = await gpuCallsDuring(gpu(), async () => {
      history = await model.fit(data, { epochs: 1, batchSize: 16 });
    });
    expect(trainingCalls).toBeGreaterThan(0);
    expect(history!.epochs).toHaveLength(1);
    model.release();
  });

  it('bad fit options: each a UsageError naming the option, before any GPU work', async () => {
    const model = tinyCnn();
    await model.compile(gpu());
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ epochs: 0 }, /epochs \(0\)/],
      [{ epochs: 1.5 }, /epochs \(1\.5\)/],
      [{ epochs: 1, batchSize: 0 }, /batchSize \(0\)/],
      [{ epochs: 1, lr: -0.1 }, /lr \(-0\.1\)/],
      [{ epochs: 1, lr: Number.NaN }, /lr \(NaN\)/],
      [{ epochs: 1, optimizer: 'rmsprop' }, /optimizer 'rmsprop'/],
      [{ epochs: 1, seed: -1 }, /seed \(-1\)/],
      [{ epochs: 1, patience: 0 }, /patience \(0\)/],
      [{ epochs: 1, precision: 'float16' }, /precision 'float16' must be one of float32, mixed_float16/],
    ];
    const calls = await gpuCallsDuring(gpu(), async () => {
      for (const [options, pattern] of cases) await expectRejects(model.fit(data, options as never), UsageError, pattern);
    });
    expect(calls).toBe(0);
    await expectRejects(model.evaluate(data, { batchSize: 0 }), UsageError, /batchSize/);
    await expectRejects(model.compile(gpu()), UsageError, /already compiled/);
    model.release();
  });

  it('evaluate with something that is not a dataset or split', async () => {
    const model = tinyCnn();
    await model.compile(gpu());
    await model.fit(data, { epochs: 1, batchSize: 16 });
    await expectRejects(model.evaluate({ images: data.test!.images, labels: Array.from(data.test!.labels), count: data.test!.count } as never), UsageError, /expected a Dataset/);
    await expectRejects(model.evaluate({ images: data.test!.images.subarray(1), labels: data.test!.labels, count: data.test!.count }), UsageError, /expected a Dataset/);
    model.release();
  });
});

describe('predict with the wrong input', () => {
  let model: Sequential;
  beforeAll(async () => {
    model = tinyCnn();
    await model.compile(gpu());
    await model.fit(squaresData(), { epochs: 1, batchSize: 16 });
    return () => model.release();
  });

  it('a length that is not a whole number of examples (or none)', async () => {
    const { images } = squares(2, 9);
    await expectRejects(model.predict(images.subarray(0, 2 * PIXELS - 1)), DataError, new RegExp(`${2 * PIXELS - 1} values`), new RegExp(`${PIXELS} values each`), /\(None, 8, 8, 3\)/);
    await expectRejects(model.predict(new Uint8Array(0)), DataError, /0 values/);
    // The right length still works afterwards.
    expect((await model.predict(images)).length).toBe(2 * CLASSES.length);
  });

  it('NaN pixels, another array type, a bad batch size', async () => {
    const floats = Float32Array.from(squares(1, 9).images, (v) => v / 255);
    floats[17] = Number.NaN;
    await expectRejects(model.predict(floats), DataError, /NaN/);
    await expectRejects(model.predict(new Int8Array(PIXELS) as unknown as Uint8Array), UsageError, /Uint8Array or Float32Array/);
    await expectRejects(model.predict(squares(1, 9).images, { batchSize: 0 }), UsageError, /batchSize/);
  });
});

describe('the order of calls', () => {
  it('fit, evaluate, predict, getWeights, save and checkpoint before compile: a UsageError saying to compile', async () => {
    const model = tinyCnn('uncompiled');
    const data = squaresData();
    await expectRejects(model.fit(data, { epochs: 1 }), UsageError, /fit: uncompiled is not on a GPU/, /compile/);
    await expectRejects(model.evaluate(data), UsageError, /evaluate/, /compile/);
    await expectRejects(model.predict(squares(1, 1).images), UsageError, /predict/, /compile/);
    await expectRejects(model.getWeights(), UsageError, /compile/);
    await expectRejects(model.save(), UsageError, /save/, /compile/);
    await expectRejects(model.checkpoint(), UsageError, /checkpoint/, /compile/);
  });

  it('predict, evaluate on a bare split, save and checkpoint before the model has pre-processing or a run', async () => {
    const model = tinyCnn('fresh');
    await model.compile(gpu());
    const data = squaresData();
    await expectRejects(model.predict(squares(1, 1).images), UsageError, /no pre-processing/);
    await expectRejects(model.evaluate(data.test!), UsageError, /no pre-processing/);
    await expectRejects(model.save(), UsageError, /no pre-processing/);
    await expectRejects(model.checkpoint(), UsageError, /no training run/, /fit/);
    model.release();
  });

  it('fit called twice at once: the second rejects with a UsageError, the first completes', async () => {
    const model = tinyCnn();
    await model.compile(gpu());
    const data = squaresData();
    const first = model.fit(data, { epochs: 2, batchSize: 16 });
    const second = model.fit(data, { epochs: 1, batchSize: 16 });
    const during = [model.evaluate(data), model.predict(squares(1, 1).images), model.fit(data, { epochs: 3, batchSize: 8 })];
    await expectRejects(second, UsageError, /busy with fit/);
    for (const call of during) await expectRejects(call, UsageError, /busy with fit/);
    const history = await first;
    expect(history.epochs.map((e) => e.epoch)).toEqual([1, 2]);
    // Once the first is done, the model takes calls again.
    const evaluation = await model.evaluate(data);
    expect(evaluation.rows).toBe(32);
    model.release();
  });
});

describe('a model too large for the adapter', () => {
  it('is refused at compile with a GpuError naming its size, the limit and the largest layer; the model stays uncompiled', async () => {
    const limit = Math.min(gpu().limits.maxStorageBufferBindingSize, gpu().limits.maxBufferSize);
    // A Dense layer after Flatten of 16x16: 256 x units weights, just past the limit.
    const units = Math.ceil(limit / 4 / 256) + 1;
    const huge = Sequential.fromJSON({ name: 'huge', input: [16, 16, 1], layers: [{ type: 'flatten' }, { type: 'dense', units, activation: 'relu' }, { type: 'dense', units: 5, activation: 'softmax' }] });
    await expectRejects(huge.compile(gpu()), GpuError, /huge has [\d,]+ parameters \([\d.,]+ MiB\); this adapter binds at most/, /The largest layer, dense_1, has/);
    expect(huge.gpu).toBeNull();
  });
});

describe('a released GPU', () => {
  it('compile on a released GPU: a GpuError, and the model is left uncompiled (it compiles on a live GPU)', async () => {
    const released = await requestGpu();
    released.release();
    const model = tinyCnn();
    await expectRejects(model.compile(released), GpuError, /released/);
    expect(model.gpu).toBeNull();
    await model.compile(gpu());
    expect(model.gpu).toBe(gpu());
    model.release();
  });

  it('fit, evaluate, predict, getWeights and save after gpu.release(): GpuErrors; the model moves to a new GPU', async () => {
    const other = await requestGpu();
    const model = tinyCnn();
    const data = squaresData();
    await model.compile(other);
    await model.fit(data, { epochs: 1, batchSize: 16 });
    other.release();
    expect(other.released).toBe(true);
    expectThrows(() => other.device, GpuError, /released/);
    await expectRejects(model.fit(data, { epochs: 1, batchSize: 16 }), GpuError, /fit/, /released/);
    await expectRejects(model.evaluate(data), GpuError, /evaluate/, /released/);
    await expectRejects(model.predict(squares(1, 1).images), GpuError, /predict/, /released/);
    await expectRejects(model.save(), GpuError, /released/);
    await expectRejects(model.getWeights(), GpuError, /released/);
    model.release();
    await model.compile(gpu());
    const history = await model.fit(data, { epochs: 1, batchSize: 16 });
    expect(history.epochs).toHaveLength(1);
    model.release();
  });
});

describe('model and checkpoint files that do not fit', () => {
  let weights: Uint8Array;
  let checkpoint: Uint8Array;
  beforeAll(async () => {
    const model = tinyCnn();
    await model.compile(gpu(), { seed: 2 });
    await model.fit(squaresData(), { epochs: 1, batchSize: 16, seed: 2 });
    weights = await model.save();
    checkpoint = await model.checkpoint();
    model.release();
  });

  it('the unedited files load (the control for the cases below)', () => {
    expect(loadModel(weights).paramCount).toBe(tinyCnn().paramCount);
    expect(loadCheckpoint(checkpoint).epoch).toBe(1);
  });

  it('a tensor renamed: DataError naming the tensor the model needs', () => {
    const edited = editHeader(weights, (h) => {
      h['dense_7.kernel'] = h['dense_1.kernel'];
      delete h['dense_1.kernel'];
    });
    expectThrows(() => loadModel(edited, 'edited.safetensors'), DataError, /edited\.safetensors/, /no tensor 'dense_1\.kernel'/);
  });

  it('a tensor reshaped: DataError naming both shapes', () => {
    const edited = editHeader(weights, (h) => {
      (h['dense_1.kernel'] as { shape: number[] }).shape = [4, 64];
    });
    expectThrows(() => loadModel(edited), DataError, /'dense_1\.kernel' has shape \[4, 64\]/, /needs \[64, 4\]/);
  });

  it('weights for another architecture (the file says 8 filters, its tensors hold 4)', () => {
    const edited = editHeader(weights, (h) => {
      const meta = metadataOf(h);
      const arch = JSON.parse(meta.architecture!);
      arch.layers[0].filters = 8;
      meta.architecture = JSON.stringify(arch);
    });
    expectThrows(() => loadModel(edited), DataError, /conv2d_1\.kernel/, /\[3, 3, 3, 8\]/);
  });

  it('an architecture that is not a valid model: DataError carrying the field path', () => {
    const edited = editHeader(weights, (h) => {
      const meta = metadataOf(h);
      const arch = JSON.parse(meta.architecture!);
      arch.layers[0].filters = 0;
      meta.architecture = JSON.stringify(arch);
    });
    expectThrows(() => loadModel(edited), DataError, /architecture/, /layers\[0\]\.filters/);
  });

  it('a truncated header, truncated data, a missing length: DataErrors', () => {
    const { dataStart } = readHeader(weights);
    expectThrows(() => loadModel(weights.subarray(0, Math.floor(dataStart / 2))), DataError, /header says \d+ bytes/);
    expectThrows(() => loadModel(weights.subarray(0, weights.length - 4)), DataError, /truncated/);
    expectThrows(() => loadModel(weights.subarray(0, 5)), DataError, /only 5 bytes/);
    expectThrows(() => loadCheckpoint(checkpoint.subarray(0, Math.floor(readHeader(checkpoint).dataStart / 2))), DataError, /header says \d+ bytes/);
  });

  it('a checkpoint passed as weights, weights passed as a checkpoint', () => {
    expectThrows(() => loadModel(checkpoint), DataError, /no wgml weights/, /wgml-checkpoint/);
    expectThrows(() => loadCheckpoint(weights), DataError, /not a usable checkpoint/, /wgml-weights/);
  });

  it('a checkpoint whose optimiser state is missing', () => {
    const edited = editHeader(checkpoint, (h) => {
      delete h['m/dense_1.bias'];
    });
    expectThrows(() => loadCheckpoint(edited), DataError, /m\/dense_1\.bias/);
  });

  it('a checkpoint whose run state contradicts itself (3 epochs done, 1 in the history; a history record that is a number)', () => {
    const withState = (edit: (state: Record<string, unknown>) => void) =>
      editHeader(checkpoint, (h) => {
        const meta = metadataOf(h);
        const state = JSON.parse(meta.state!);
        edit(state);
        meta.state = JSON.stringify(state);
      });
    expectThrows(() => loadCheckpoint(withState((s) => (s.epoch = 3))), DataError, /checkpoint/);
    expectThrows(() => loadCheckpoint(withState((s) => (s.history = [7]))), DataError, /checkpoint/);
  });
});
