/**
 * The public API end to end on the GPU, with a custom CNN on small synthetic RGB images (a coloured
 * square; its quadrant is the class): fit, its History and callbacks, evaluate, predict, save and
 * load, an application-owned device, pre-processing, interruption and exact resumption, and early
 * stopping. Sizes are tiny (8x8x3 images, a few hundred examples, 372 parameters) so that the
 * whole file runs in seconds on a software GPU; seeds are fixed, so every run is the same run.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createDataset,
  GpuError,
  loadCheckpoint,
  loadModel,
  requestGpu,
  type BatchProgress,
  type Dataset,
  type DatasetArrays,
  type EpochRecord,
  type Evaluation,
  type FitOptions,
  type History,
  type Sequential,
} from '../../src/index';
import { expectClose } from '../support/compare';
import { useGpu } from '../support/gpu';
import { argmaxRows, CLASSES, expectRejects, expectThrows, metadataOf, PIXELS, readHeader, sameBits, seeded, squareArrays, squares, tensorOf, tinyCnn, withTensor } from './fixtures';

const gpu = useGpu();
const K = CLASSES.length;

/** 256 training images (192 to train on, the last 64 to validate) and 128 test images. */
const ARRAYS = squareArrays(256, 128, 1);
const TRAIN = 192;
const VALIDATION = 64;
const TEST = 128;
const FIT = { epochs: 4, batchSize: 16, optimizer: 'adam', lr: 0.01, seed: 7 } as const;
const STEPS = TRAIN / FIT.batchSize;

const makeData = (arrays: DatasetArrays = ARRAYS, preprocessing: 'none' | 'scale01' | 'standardize' = 'scale01') => createDataset(arrays, { preprocessing, validationSplit: 0.25 });

/** confusion[true * K + predicted] from predicted classes and labels. */
function confusionOf(predicted: number[], labels: Uint32Array): number[] {
  const c = new Array<number>(K * K).fill(0);
  predicted.forEach((p, i) => c[labels[i]! * K + p]!++);
  return c;
}

type Event = { kind: 'begin'; epoch: number; steps: number; images: number } | ({ kind: 'batch' } & BatchProgress) | { kind: 'end'; record: EpochRecord; validationRows: number; testRows?: number; testProbabilities?: number; history: number };

describe('a custom CNN trained with fit', () => {
  let data: Dataset;
  let model: Sequential;
  let untrained: Evaluation;
  let history: History;
  const events: Event[] = [];
  let slowEpochEndsDone = 0;
  let begunBeforeEndFinished = false;

  beforeAll(async () => {
    data = makeData();
    model = tinyCnn();
    await model.compile(gpu(), { seed: FIT.seed });
    untrained = await model.evaluate(data);
    history = await model.fit(data, {
      ...FIT,
      testEachEpoch: true,
      callbacks: {
        onEpochBegin: (epoch, info) => {
          if (slowEpochEndsDone !== epoch - 1) begunBeforeEndFinished = true;
          events.push({ kind: 'begin', epoch, ...info });
        },
        onBatchEnd: (p) => events.push({ kind: 'batch', ...p }),
        // An async onEpochEnd is awaited before the next epoch begins.
        onEpochEnd: async (record, logs) => {
          events.push({ kind: 'end', record, validationRows: logs.validation.rows, testRows: logs.test?.rows, testProbabilities: logs.test?.probabilities?.length, history: logs.history.length });
          await new Promise((r) => setTimeout(r, 30));
          slowEpochEndsDone++;
        },
      },
    });
  });

  it('learns the task: over 0.9 on the held-out test set, from near chance before training', async () => {
    expect(untrained.accuracy, 'the untrained model is not already good').toBeLessThan(0.6);
    const evaluation = await model.evaluate(data);
    expect(evaluation.rows).toBe(TEST);
    expect(evaluation.accuracy).toBeGreaterThan(0.9);
    expect(history.history.valAccuracy.at(-1)).toBeGreaterThan(0.9);
    expect(history.history.loss.at(-1)!).toBeLessThan(history.history.loss[0]! / 2);
  });

  it('History: one record per epoch, each metric a series of the same values, the last validation kept', () => {
    expect(history.epochs.map((e) => e.epoch)).toEqual([1, 2, 3, 4]);
    expect(history.history.loss).toEqual(history.epochs.map((e) => e.loss));
    expect(history.history.accuracy).toEqual(history.epochs.map((e) => e.accuracy));
    expect(history.history.valLoss).toEqual(history.epochs.map((e) => e.valLoss));
    expect(history.history.valAccuracy).toEqual(history.epochs.map((e) => e.valAccuracy));
    for (const e of history.epochs) {
      expect(e.loss).toBeGreaterThan(0);
      expect(e.accuracy).toBeGreaterThanOrEqual(0);
      expect(e.accuracy).toBeLessThanOrEqual(1);
      expect(e.seconds).toBeGreaterThan(0);
      expect(e.imagesPerSecond).toBeGreaterThan(0);
    }
    expect(history.stopped).toBeUndefined();
    expect(history.validation!.rows).toBe(VALIDATION);
    expect(history.validation!.accuracy).toBe(history.history.valAccuracy.at(-1));
    expect(history.validation!.meanLoss).toBe(history.history.valLoss.at(-1));
  });

  it('callbacks: begin, batches, end once per epoch in order; steps and images count up to the epoch', () => {
    expect(begunBeforeEndFinished, 'an epoch began before the previous async onEpochEnd finished').toBe(false);
    expect(events.filter((e) => e.kind === 'begin')).toHaveLength(FIT.epochs);
    expect(events.filter((e) => e.kind === 'end')).toHaveLength(FIT.epochs);
    let epoch = 0;
    let lastStep = 0;
    let lastImages = 0;
    for (const e of events) {
      if (e.kind === 'begin') {
        expect(e.epoch).toBe(++epoch);
        expect(e).toMatchObject({ steps: STEPS, images: TRAIN });
        lastStep = 0;
        lastImages = 0;
      } else if (e.kind === 'batch') {
        expect(e.epoch).toBe(epoch);
        expect(e.steps).toBe(STEPS);
        expect(e.step).toBeGreaterThan(lastStep);
        expect(e.step).toBeLessThanOrEqual(STEPS);
        expect(e.images).toBeGreaterThan(lastImages);
        expect(e.images).toBe(Math.min(TRAIN, e.step * FIT.batchSize));
        expect(e.imagesPerSecond).toBeGreaterThan(0);
        if (e.loss !== undefined) expect(Number.isFinite(e.loss) && e.loss > 0).toBe(true);
        lastStep = e.step;
        lastImages = e.images;
      } else {
        expect(e.record.epoch).toBe(epoch);
        expect(lastStep, 'the epoch ended after its last step was reported').toBe(STEPS);
        expect(e.record).toEqual(history.epochs[epoch - 1]);
        expect(e.history).toBe(epoch);
        expect(e.validationRows).toBe(VALIDATION);
        // testEachEpoch: the test set with its class probabilities, besides the validation examples.
        expect(e.testRows).toBe(TEST);
        expect(e.testProbabilities).toBe(TEST * K);
      }
    }
    expect(events.at(-1)!.kind).toBe('end');
  });

  it('evaluate: the confusion matrix sums to the test count, accuracy is its trace over the total', async () => {
    const e = await model.evaluate(data);
    expect(e.confusion).toHaveLength(K * K);
    const total = e.confusion.reduce((a, b) => a + b, 0);
    const trace = CLASSES.reduce((s, _, k) => s + e.confusion[k * K + k]!, 0);
    expect(total).toBe(TEST);
    expect(e.correct).toBe(trace);
    expect(e.accuracy).toBeCloseTo(trace / total, 12);
    // Rows of the confusion matrix count each true class.
    const perClass = CLASSES.map((_, k) => data.test!.labels.filter((l) => l === k).length);
    expect(CLASSES.map((_, t) => CLASSES.reduce((s, __, p) => s + e.confusion[t * K + p]!, 0))).toEqual(perClass);
    expect(e.meanLoss).toBeCloseTo(e.lossSum / e.rows, 6);
    expect(e.invalid).toBe(0);
    // The same split passed on its own, and in batches that do not divide it, gives the same counts.
    const split = await model.evaluate(data.test!, { batchSize: 50 });
    expect([...split.confusion]).toEqual([...e.confusion]);
    expect(split.meanLoss).toBeCloseTo(e.meanLoss, 5);
    const validation = await model.evaluate(data, { split: 'validation' });
    expect(validation.rows).toBe(VALIDATION);
    expect(validation.meanLoss).toBe(history.history.valLoss.at(-1));
  });

  it('predict: rows of probabilities summing to 1, whose argmax gives evaluate\'s confusion matrix', async () => {
    const probabilities = await model.predict(data.test!.images);
    expect(probabilities).toHaveLength(TEST * K);
    for (let r = 0; r < TEST; r++) {
      const row = probabilities.subarray(r * K, r * K + K);
      expect(row.every((p) => p >= 0 && p <= 1)).toBe(true);
      expect(Math.abs(row.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-5);
    }
    const e = await model.evaluate(data, { probabilities: true });
    expect(confusionOf(argmaxRows(probabilities, K), data.test!.labels)).toEqual([...e.confusion]);
    expectClose(probabilities, e.probabilities!, 'predict vs evaluate probabilities', 1e-5);
    // Batches that do not divide the images give the same rows.
    expectClose(await model.predict(data.test!.images, { batchSize: 50 }), probabilities, 'predict in batches of 50', 1e-6);
    // One example at a time is the same as that row of the batch.
    const one = await model.predict(data.test!.images.subarray(5 * PIXELS, 6 * PIXELS));
    expectClose(one, probabilities.subarray(5 * K, 6 * K), 'one example', 1e-6);
  });

  it('float32 images holding the uint8 values give the same predictions, bit for bit', async () => {
    const u8 = data.test!.images as Uint8Array;
    const fromBytes = await model.predict(u8);
    const fromFloats = await model.predict(Float32Array.from(u8));
    expect(sameBits(fromBytes, fromFloats)).toBe(true);
  });

  it('save -> loadModel -> compile: same weights and bit-identical predictions, with no optimiser; evaluate works', async () => {
    const bytes = await model.save({ run: 'api-test' });
    expect(metadataOf(readHeader(bytes).header).run).toBe('api-test');
    const loaded = loadModel(bytes, 'saved.safetensors');
    expect(loaded.toJSON()).toEqual(model.toJSON());
    expect(sameBits(await loaded.getWeights(), await model.getWeights()), 'weights before compile').toBe(true);
    expect(sameBits(loaded.preprocessing!.scale, data.affine.scale)).toBe(true);
    await loaded.compile(gpu(), { seed: 99 }); // the loaded weights win over the seed
    expect(loaded.trainingStep, 'no training step (no optimiser state) was made').toBeNull();
    expect(sameBits(await loaded.getWeights(), await model.getWeights()), 'weights after compile').toBe(true);
    expect(sameBits(await loaded.predict(data.test!.images), await model.predict(data.test!.images))).toBe(true);
    const [a, b] = [await loaded.evaluate(data), await model.evaluate(data)];
    expect([...a.confusion]).toEqual([...b.confusion]);
    expect(a.meanLoss).toBe(b.meanLoss);
    // A split alone works: the model carries its pre-processing.
    expect((await loaded.evaluate(data.test!)).accuracy).toBe(b.accuracy);
    // Its own pre-processing wins over another dataset's: 'none' here would be x, not x / 255.
    expect((await loaded.evaluate(makeData(ARRAYS, 'none'))).accuracy).toBe(b.accuracy);
    expect(loaded.trainingStep).toBeNull();
    loaded.release();
  });

  it('an existing GPUDevice: the model runs on it, and release() leaves the device usable', async () => {
    const owner = await requestGpu();
    try {
      const bytes = await model.save();
      const reference = await model.predict(data.test!.images);
      const wrapped = await requestGpu({ device: owner.device });
      expect(wrapped.device).toBe(owner.device);
      const onWrapped = loadModel(bytes);
      await onWrapped.compile(wrapped);
      expect(sameBits(await onWrapped.predict(data.test!.images), reference)).toBe(true);
      const fitted = await onWrapped.fit(data, { ...FIT, epochs: 1 });
      expect(fitted.epochs).toHaveLength(1);
      wrapped.release();
      expect(wrapped.released).toBe(true);
      expectThrows(() => wrapped.device, GpuError, /released/);
      await expectRejects(onWrapped.predict(data.test!.images), GpuError, /released/);
      onWrapped.release();
      // The device itself was not destroyed: it is not lost, and a model runs on it through its owner.
      const state = await Promise.race([owner.device.lost.then(() => 'lost'), new Promise((r) => setTimeout(() => r('alive'), 100))]);
      expect(state).toBe('alive');
      const onOwner = loadModel(bytes);
      await onOwner.compile(owner);
      expect(sameBits(await onOwner.predict(data.test!.images), reference)).toBe(true);
      onOwner.release();
    } finally {
      owner.release();
    }
  });
});

describe('pre-processing', () => {
  it('a float32 copy of the uint8 images trains to bit-identical weights', async () => {
    const floats: DatasetArrays = {
      ...ARRAYS,
      train: { images: Float32Array.from(ARRAYS.train.images), labels: ARRAYS.train.labels },
      test: { images: Float32Array.from(ARRAYS.test!.images), labels: ARRAYS.test!.labels },
    };
    const weights: Float32Array[] = [];
    for (const arrays of [ARRAYS, floats]) {
      const m = tinyCnn();
      await m.compile(gpu(), { seed: 3 });
      await m.fit(makeData(arrays), { ...FIT, epochs: 1, seed: 3 });
      weights.push(await m.getWeights());
      m.release();
    }
    expect(weights[0]!.some((w) => w !== 0)).toBe(true);
    expect(sameBits(weights[0]!, weights[1]!)).toBe(true);
  });

  it("'scale01' on uint8 images trains exactly as 'none' on the same images divided by 255 on the CPU", async () => {
    const s = Math.fround(1 / 255);
    const scaled = (images: Uint8Array | Float32Array) => Float32Array.from(images, (v) => Math.fround(v * s));
    const divided: DatasetArrays = { ...ARRAYS, train: { ...ARRAYS.train, images: scaled(ARRAYS.train.images) }, test: { ...ARRAYS.test!, images: scaled(ARRAYS.test!.images) } };
    const runs: { weights: Float32Array; loss: number }[] = [];
    for (const data of [makeData(ARRAYS, 'scale01'), makeData(divided, 'none')]) {
      const m = tinyCnn();
      await m.compile(gpu(), { seed: 5 });
      const h = await m.fit(data, { ...FIT, epochs: 1, seed: 5 });
      runs.push({ weights: await m.getWeights(), loss: h.history.loss[0]! });
      m.release();
    }
    expect(runs[0]!.loss).toBe(runs[1]!.loss);
    expect(sameBits(runs[0]!.weights, runs[1]!.weights)).toBe(true);
  });

  it("'standardize' is fitted on the training split only, adopted by the model, saved, and applied on the GPU", async () => {
    // The held-out tail (the last 64 training images) is much brighter: statistics that included it would show.
    const train = squares(256, 21);
    for (let i = TRAIN * PIXELS; i < train.images.length; i++) train.images[i] = Math.min(255, train.images[i]! + 90);
    const arrays: DatasetArrays = { ...ARRAYS, train };
    const data = makeData(arrays, 'standardize');
    const stats = (from: number, to: number) => {
      const mean = new Float64Array(PIXELS);
      const variance = new Float64Array(PIXELS);
      const n = to - from;
      for (let i = from; i < to; i++) for (let p = 0; p < PIXELS; p++) mean[p]! += train.images[i * PIXELS + p]! / n;
      for (let i = from; i < to; i++) for (let p = 0; p < PIXELS; p++) variance[p]! += (train.images[i * PIXELS + p]! - mean[p]!) ** 2 / n;
      return { scale: Float32Array.from(variance, (v) => 1 / Math.sqrt(v)), shift: Float32Array.from(mean, (m, p) => -m / Math.sqrt(variance[p]!)) };
    };
    const trainOnly = stats(0, TRAIN);
    const everything = stats(0, 256);
    expectClose(data.affine.scale, trainOnly.scale, 'scale = 1 / std of the training split', 1e-5);
    expectClose(data.affine.shift, trainOnly.shift, 'shift = -mean / std of the training split', 1e-5);
    expect(Math.max(...data.affine.shift.map((v, p) => Math.abs(v - everything.shift[p]!)))).toBeGreaterThan(0.1);

    const m = tinyCnn();
    await m.compile(gpu(), { seed: 8 });
    await m.fit(data, { ...FIT, epochs: 2, seed: 8 });
    expect(sameBits(m.preprocessing!.scale, data.affine.scale) && sameBits(m.preprocessing!.shift, data.affine.shift)).toBe(true);
    const bytes = await m.save();
    expect(sameBits(tensorOf(bytes, 'preprocess.scale'), data.affine.scale)).toBe(true);
    expect(sameBits(tensorOf(bytes, 'preprocess.shift'), data.affine.shift)).toBe(true);

    // The same weights with an identity pre-processing, given pixels standardised here on the CPU,
    // predict what the model predicts from the raw pixels: the GPU applies x * scale + shift.
    const identity = withTensor(withTensor(bytes, 'preprocess.scale', new Float32Array(PIXELS).fill(1)), 'preprocess.shift', new Float32Array(PIXELS));
    const twin = loadModel(identity);
    await twin.compile(gpu());
    const raw = data.test!.images;
    const standardised = Float32Array.from(raw, (v, i) => Math.fround(v * data.affine.scale[i % PIXELS]! + data.affine.shift[i % PIXELS]!));
    const fromRaw = await m.predict(raw);
    expectClose(await twin.predict(standardised), fromRaw, 'identity model on CPU-standardised pixels', 1e-5);
    // ... and not what it predicts from the raw pixels (the check is not vacuous).
    expect(Math.max(...(await twin.predict(raw)).map((p, i) => Math.abs(p - fromRaw[i]!)))).toBeGreaterThan(0.01);
    twin.release();
    m.release();
  });
});

describe('stopping and resuming', () => {
  /** Dropout makes the run depend on the random stream too, which a resumption must continue exactly. */
  const RUN = { epochs: 3, batchSize: 8, optimizer: 'adam', lr: 0.01, seed: 11 } as const;
  const RUN_STEPS = TRAIN / RUN.batchSize;
  let reference: { history: History; weights: Float32Array };

  const fresh = async () => {
    const m = tinyCnn('dropout-cnn', { dropout: 0.25 });
    await m.compile(gpu(), { seed: RUN.seed });
    return m;
  };
  const sameRecords = (a: readonly EpochRecord[], b: readonly EpochRecord[]) => {
    expect(b.map((e) => e.epoch)).toEqual(a.map((e) => e.epoch));
    const metrics = (r: readonly EpochRecord[]) => r.map(({ loss, accuracy, valLoss, valAccuracy }) => ({ loss, accuracy, valLoss, valAccuracy }));
    expect(metrics(b)).toEqual(metrics(a));
  };

  beforeAll(async () => {
    const m = await fresh();
    const history = await m.fit(makeData(), RUN);
    reference = { history, weights: await m.getWeights() };
    m.release();
  });

  it('aborted from onBatchEnd: stops within a few steps as interrupted; its checkpoint resumed on a fresh model ends bit-identical to an uninterrupted run', async () => {
    const m = await fresh();
    const controller = new AbortController();
    let abortedAt = 0;
    const history = await m.fit(makeData(), {
      ...RUN,
      signal: controller.signal,
      callbacks: {
        onBatchEnd: (p) => {
          if (p.epoch === 2 && p.step >= 8 && !controller.signal.aborted) {
            abortedAt = p.step;
            controller.abort();
          }
        },
      },
    });
    expect(abortedAt).toBeGreaterThan(0);
    expect(history.stopped).toBe('interrupted');
    expect(history.epochs).toHaveLength(1);
    expect(history.interruptedAt!.steps).toBe(RUN_STEPS);
    expect(history.interruptedAt!.step).toBeGreaterThanOrEqual(abortedAt);
    expect(history.interruptedAt!.step - abortedAt, 'steps run after the abort').toBeLessThanOrEqual(8);
    expect(history.interruptedAt!.step).toBeLessThan(RUN_STEPS);
    const bytes = await m.checkpoint();
    m.release();

    const ck = loadCheckpoint(bytes, 'interrupted.safetensors');
    expect(ck.epoch).toBe(1);
    expect(ck.history).toHaveLength(1);
    expect(ck.state.epochProgress?.step).toBe(history.interruptedAt!.step);
    expect(ck.fit).toEqual({ ...RUN, patience: null, precision: 'float32' });
    expect(ck.data).toEqual(makeData().settings);
    await ck.model.compile(gpu(), { seed: 12345 }); // the checkpoint's weights win over this seed
    const resumed = await ck.model.fit(createDataset(ARRAYS, ck.data), { ...ck.fit, history: ck.history, resume: ck.state });
    expect(resumed.stopped).toBeUndefined();
    sameRecords(reference.history.epochs, resumed.epochs);
    const weights = await ck.model.getWeights();
    expect(sameBits(weights, reference.weights), 'weights after resuming vs the uninterrupted run').toBe(true);
    ck.model.release();
  });

  it("aborted between epochs: stopped 'stop' after whole epochs; resumed from its checkpoint, again bit-identical", async () => {
    const m = await fresh();
    const controller = new AbortController();
    const history = await m.fit(makeData(), { ...RUN, signal: controller.signal, callbacks: { onEpochEnd: (r) => (r.epoch === 1 ? controller.abort() : undefined) } });
    expect(history.stopped).toBe('stop');
    expect(history.epochs).toHaveLength(1);
    expect(history.interruptedAt).toBeUndefined();
    const ck = loadCheckpoint(await m.checkpoint());
    m.release();
    expect(ck.epoch).toBe(1);
    expect(ck.state.epochProgress).toBeUndefined();
    await ck.model.compile(gpu());
    const resumed = await ck.model.fit(createDataset(ARRAYS, ck.data), { ...ck.fit, history: ck.history, resume: ck.state });
    sameRecords(reference.history.epochs, resumed.epochs);
    expect(sameBits(await ck.model.getWeights(), reference.weights)).toBe(true);
    ck.model.release();
  });

  it('mixed_float16: a run resumed mid-epoch from its checkpoint ends bit-identical to an uninterrupted one; losses near float32\'s, not equal', async () => {
    const mixed = { ...RUN, precision: 'mixed_float16' } as const;
    const whole = await fresh();
    const uninterrupted = await whole.fit(makeData(), mixed);
    const weights = await whole.getWeights();
    whole.release();
    const losses = (h: History) => h.epochs.map((e) => e.loss);
    // f16 weights move the losses by about f16's precision, far less than training moves them.
    losses(uninterrupted).forEach((l, i) => {
      expect(l).not.toBe(reference.history.epochs[i]!.loss);
      expect(Math.abs(l - reference.history.epochs[i]!.loss) / l).toBeLessThan(0.02);
    });

    const m = await fresh();
    const controller = new AbortController();
    await m.fit(makeData(), { ...mixed, signal: controller.signal, callbacks: { onBatchEnd: (p) => (p.epoch === 2 && p.step >= 8 ? controller.abort() : undefined) } });
    const ck = loadCheckpoint(await m.checkpoint());
    m.release();
    expect(ck.fit.precision).toBe('mixed_float16');
    await ck.model.compile(gpu());
    const resumed = await ck.model.fit(createDataset(ARRAYS, ck.data), { ...ck.fit, history: ck.history, resume: ck.state });
    sameRecords(uninterrupted.epochs, resumed.epochs);
    expect(sameBits(await ck.model.getWeights(), weights), 'weights after resuming vs the uninterrupted mixed run').toBe(true);
    ck.model.release();
  });

  it('a signal aborted before fit starts trains nothing', async () => {
    const m = await fresh();
    const before = await m.getWeights();
    const history = await m.fit(makeData(), { ...RUN, signal: AbortSignal.abort() });
    expect(history.stopped).toBe('stop');
    expect(history.epochs).toHaveLength(0);
    expect(sameBits(await m.getWeights(), before)).toBe(true);
    m.release();
  });
});

describe('early stopping', () => {
  /** Where a run with `patience` must stop: the first epoch `patience` epochs after the best validation loss. */
  function expectedStop(valLoss: number[], patience: number): number | null {
    let best = Infinity;
    let since = 0;
    for (let i = 0; i < valLoss.length; i++) {
      if (valLoss[i]! < best) [best, since] = [valLoss[i]!, 0];
      else if (++since >= patience) return i + 1;
    }
    return null;
  }

  it('with patience 2, on labels that cannot be learned, stops 2 epochs after the best validation loss', async () => {
    // Random labels: nothing carries over to the validation examples, so their loss soon stops improving.
    const rnd = seeded(77);
    const shuffled = (n: number) => Uint32Array.from({ length: n }, () => Math.floor(rnd() * K));
    const arrays: DatasetArrays = { ...ARRAYS, train: { ...ARRAYS.train, labels: shuffled(256) }, test: { ...ARRAYS.test!, labels: shuffled(TEST) } };
    const options: FitOptions = { epochs: 30, batchSize: 16, optimizer: 'adam', lr: 0.03, seed: 2, patience: 2 };
    const m = tinyCnn();
    await m.compile(gpu(), { seed: 2 });
    const history = await m.fit(makeData(arrays), options);
    expect(history.stopped).toBe('early-stopping');
    const n = history.epochs.length;
    expect(n).toBeLessThan(30);
    expect(expectedStop(history.history.valLoss, 2)).toBe(n);
    const best = history.history.valLoss.indexOf(Math.min(...history.history.valLoss));
    expect(n - 1 - best).toBe(2);
    m.release();

    // The same run without patience trains past that epoch.
    const patient = tinyCnn();
    await patient.compile(gpu(), { seed: 2 });
    const longer = await patient.fit(makeData(arrays), { ...options, epochs: n + 1, patience: null });
    expect(longer.epochs).toHaveLength(n + 1);
    expect(longer.stopped).toBeUndefined();
    expect(longer.history.valLoss.slice(0, n)).toEqual(history.history.valLoss);
    patient.release();
  });
});
