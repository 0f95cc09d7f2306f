import * as tf from '@tensorflow/tfjs';
import type { FashionMnist } from '../../src/data/fashion-mnist';
import { applyAffine, fitStandardScaler, scale01Affine, standardScalerAffine } from '../../src/data/preprocess';
import { seedModel, type ModelName } from '../../src/models/seed-models';
import { cpuMs, rateSummary, summarize, type Summary } from '../../src/bench/stats';
import { addWasmConvFilterGradient, CONV_FILTER_GRAD, hasConvFilterGradient, releaseWebgpu, useBackend, type TfjsBackendName } from './backends';
import { exampleShape, tfjsModel } from './models';

/**
 * The seed models trained with TensorFlow.js in the same process as `wgml bench`: same models,
 * optimisers, batch sizes and real Fashion-MNIST batches (same pre-processing), timed the way a
 * Keras user trains: `model.trainOnBatch`, awaited step by step (it reads the loss back each step).
 * The batches are made into tensors on the backend before timing, as wgml's data sits on the GPU.
 * Warm-up steps (shader compiles) are excluded; then `repeats` runs of a calibrated number of steps.
 */

export interface TfjsBenchOptions {
  data: FashionMnist;
  models: readonly ModelName[];
  backends: readonly TfjsBackendName[];
  /** Timed seconds per model and backend, over all repeats (default 10). */
  seconds?: number;
  repeats?: number;
  /** Register a Conv2DBackpropFilter for wasm (built on its Conv3DBackpropFilterV2) so it can train the CNN. */
  wasmConvGrad?: boolean;
  log?: (line: string) => void;
}

export interface TfjsBenchResult {
  runtime: `tfjs-${TfjsBackendName}`;
  backend: TfjsBackendName;
  model: ModelName;
  batch: number;
  adapter: string;
  tfjsVersion: string;
  /** Null when the backend cannot train the model; `skipped` says why. */
  imagesPerS: Summary | null;
  msPerStep: Summary | null;
  /** CPU time of this process per step, median (NaN in a browser). */
  cpuMsPerStep?: number;
  steps: number;
  repeats: number;
  skipped?: string;
  /** Set when the run used a kernel TF.js does not ship (the added wasm filter gradient). */
  note?: string;
}

const WARMUP_STEPS = 3;
/** Warm-up and estimate also last at least this long (ms). */
const WARMUP_MS = 1500;
const ESTIMATE_MS = 500;
/** Distinct batches cycled through (each a tensor made before timing). */
const POOL = 16;

const announced = new Set<TfjsBackendName>();

/**
 * Trains each model on each backend in turn. Backends stay initialised between calls (so a caller
 * can interleave models with its own runs); `releaseTfjs()` ends them.
 */
export async function benchTfjs(options: TfjsBenchOptions): Promise<TfjsBenchResult[]> {
  const results: TfjsBenchResult[] = [];
  const log = options.log ?? (() => {});
  for (const backend of options.backends) {
    const info = await useBackend(backend);
    if (!announced.has(backend)) log(`tfjs-${backend}: ${info.adapter}, TF.js ${tf.version.tfjs}`);
    announced.add(backend);
    if (backend === 'wasm' && options.wasmConvGrad) addWasmConvFilterGradient();
    {
      for (const model of options.models) {
        const base = { runtime: `tfjs-${backend}` as const, backend, model, batch: seedModel(model).fit.batchSize, adapter: info.adapter, tfjsVersion: tf.version.tfjs };
        if (model === 'cnn' && !hasConvFilterGradient(backend)) {
          results.push({ ...base, imagesPerS: null, msPerStep: null, steps: 0, repeats: 0, skipped: `n/a (no ${CONV_FILTER_GRAD})` });
          log(`tfjs-${backend} ${model}: n/a (the ${backend} backend has no ${CONV_FILTER_GRAD} kernel)`);
          continue;
        }
        try {
          const r = await benchModel(model, options, log);
          const note = backend === 'wasm' && model === 'cnn' && options.wasmConvGrad
            ? `with an added ${CONV_FILTER_GRAD} (wasm's Conv3DBackpropFilterV2); TF.js as shipped cannot train it`
            : undefined;
          results.push({ ...base, ...r, ...(note ? { note } : {}) });
          log(`tfjs-${backend} ${model}: ${r.imagesPerS.median.toFixed(0)} images/s, ${r.msPerStep.median.toFixed(2)} ms/step (${r.repeats} x ${r.steps} steps)`);
        } catch (e) {
          results.push({ ...base, imagesPerS: null, msPerStep: null, steps: 0, repeats: 0, skipped: `failed: ${(e as Error).message.split('\n')[0]}` });
          log(`tfjs-${backend} ${model}: failed: ${(e as Error).message}`);
        }
      }
    }
  }
  return results;
}

/** Ends TF.js's webgpu backend (its Dawn device first, then adapter and instance). */
export function releaseTfjs(): void {
  releaseWebgpu();
  announced.delete('webgpu');
}

async function benchModel(name: ModelName, options: TfjsBenchOptions, log: (line: string) => void) {
  const seed = seedModel(name);
  const batch = seed.fit.batchSize;
  const { data } = options;
  const repeats = Math.max(1, options.repeats ?? 5);
  const seconds = options.seconds ?? 10;
  const pixels = data.shape[0] * data.shape[1];
  const count = Math.min(data.train.labels.length, POOL * batch);
  const affine = seed.data.preprocessing === 'standardize' ? standardScalerAffine(fitStandardScaler(data.train.images, pixels)) : scale01Affine(pixels);
  const x = applyAffine(data.train.images.subarray(0, count * pixels), affine);
  const labels = data.train.labels.subarray(0, count);

  const model = tfjsModel(name);
  const batches = tf.tidy(() => {
    const out: { xs: tf.Tensor; ys: tf.Tensor }[] = [];
    for (let b = 0; b + batch <= count; b += batch) {
      const xs = tf.tensor(x.subarray(b * pixels, (b + batch) * pixels), [batch, ...exampleShape(name)]);
      const ys = tf.oneHot(tf.tensor1d(Array.from(labels.subarray(b, b + batch)), 'int32'), 10);
      out.push({ xs, ys });
    }
    return out;
  });
  if (batches.length === 0) throw new Error(`Not enough training images for one batch of ${batch}.`);
  let next = 0;
  const step = async () => {
    const { xs, ys } = batches[next++ % batches.length]!;
    const loss = await model.trainOnBatch(xs, ys);
    if (!Number.isFinite(loss as number)) throw new Error(`the loss is ${loss}`);
  };
  try {
    // Warm-up: shader compiles (webgpu) and V8's tier-up of the wasm code, then a short estimate.
    let t = performance.now();
    for (let i = 0; i < WARMUP_STEPS || (performance.now() - t < WARMUP_MS && i < 200); i++) await step();
    t = performance.now();
    let n = 0;
    while (n < WARMUP_STEPS || (performance.now() - t < ESTIMATE_MS && n < 200)) {
      await step();
      n++;
    }
    const estimate = (performance.now() - t) / n;
    const steps = Math.max(2, Math.min(5000, Math.round((seconds * 1000) / repeats / estimate)));
    log(`tfjs-${tf.getBackend()} ${name}: batch ${batch}, ${repeats} x ${steps} steps`);
    const ms: number[] = [];
    const cpu: number[] = [];
    for (let r = 0; r < repeats; r++) {
      const c = cpuMs();
      t = performance.now();
      for (let i = 0; i < steps; i++) await step();
      ms.push((performance.now() - t) / steps);
      cpu.push((cpuMs() - c) / steps);
    }
    const msPerStep = summarize(ms);
    return { imagesPerS: rateSummary(msPerStep, batch), msPerStep, cpuMsPerStep: summarize(cpu).median, steps, repeats };
  } finally {
    for (const b of batches) tf.dispose([b.xs, b.ys]);
    model.dispose();
    model.optimizer?.dispose();
  }
}
