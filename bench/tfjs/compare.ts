import * as tf from '@tensorflow/tfjs';
import type { FashionMnist } from '../../src/data/fashion-mnist';
import { seedModel, type ModelName } from '../../src/models/seed-models';
import { peerBatches } from '../peers/batches';
import { skippedResult, type PeerBenchOptions, type PeerBenchResult } from '../peers/result';
import { timeSteps } from '../peers/timing';
import { addWasmConvFilterGradient, CONV_FILTER_GRAD, hasConvFilterGradient, releaseWebgpu, useBackend, type TfjsBackendName } from './backends';
import { exampleShape, tfjsModel } from './models';

/**
 * The seed models trained with TensorFlow.js in the same process as `wgml bench`: same models,
 * optimisers, batch sizes and real Fashion-MNIST batches (same pre-processing), timed the way a
 * Keras user trains: `model.trainOnBatch`, awaited step by step (it reads the loss back each step).
 * The batches are made into tensors on the backend before timing, as wgml's data sits on the GPU.
 * Timing as for every peer (bench/peers/timing.ts): warm-up excluded, calibrated repeats, medians.
 */

export interface TfjsBenchOptions extends PeerBenchOptions {
  data: FashionMnist;
  models: readonly ModelName[];
  backends: readonly TfjsBackendName[];
  /** Register a Conv2DBackpropFilter for wasm (built on its Conv3DBackpropFilterV2) so it can train the CNN. */
  wasmConvGrad?: boolean;
}

/** A TF.js result: runtime 'tfjs-<backend>'. */
export type TfjsBenchResult = PeerBenchResult;

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
    for (const model of options.models) {
      const base = { runtime: `tfjs-${backend}`, backend, model, batch: seedModel(model).fit.batchSize, adapter: info.adapter, version: `TF.js ${tf.version.tfjs}` };
      if (model === 'cnn' && !hasConvFilterGradient(backend)) {
        results.push(skippedResult(base, `n/a (no ${CONV_FILTER_GRAD})`));
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
        results.push(skippedResult(base, `failed: ${(e as Error).message.split('\n')[0]}`));
        log(`tfjs-${backend} ${model}: failed: ${(e as Error).message}`);
      }
    }
  }
  return results;
}

/** Ends TF.js's webgpu backend (its Dawn device). */
export function releaseTfjs(): void {
  releaseWebgpu();
  announced.delete('webgpu');
}

async function benchModel(name: ModelName, options: TfjsBenchOptions, log: (line: string) => void) {
  const batch = seedModel(name).fit.batchSize;
  const model = tfjsModel(name);
  const batches = tf.tidy(() =>
    peerBatches(options.data, name).map((b) => ({ xs: tf.tensor(b.x, [batch, ...exampleShape(name)]), ys: tf.tensor2d(b.y, [batch, 10]) })),
  );
  let next = 0;
  try {
    return await timeSteps({
      step: async () => {
        const { xs, ys } = batches[next++ % batches.length]!;
        const loss = await model.trainOnBatch(xs, ys);
        if (!Number.isFinite(loss as number)) throw new Error(`the loss is ${loss}`);
      },
      finish: async () => {},
    }, { batch, seconds: options.seconds, repeats: options.repeats, onCalibrated: (steps, repeats) => log(`tfjs-${tf.getBackend()} ${name}: batch ${batch}, ${repeats} x ${steps} steps`) });
  } finally {
    for (const b of batches) tf.dispose([b.xs, b.ys]);
    model.dispose();
    model.optimizer?.dispose();
  }
}
