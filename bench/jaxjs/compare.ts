import { blockUntilReady, numpy as np, tree } from '@jax-js/jax';
import type { FashionMnist } from '../../src/data/fashion-mnist';
import { seedModel, type ModelName } from '../../src/models/seed-models';
import { peerBatches } from '../peers/batches';
import { skippedResult, type PeerBenchOptions, type PeerBenchResult } from '../peers/result';
import { timeSteps } from '../peers/timing';
import { jaxjsVersion, releaseJaxjs, useDevice, type JaxjsDevice } from './backends';
import { batchShape, initialParams, initialState, trainStep, type TrainState } from './models';

/**
 * The seed models trained with jax-js in the same process as `wgml bench`: same models, optimisers
 * (Keras' SGD and Adam), batch sizes and real Fashion-MNIST batches (same pre-processing), each
 * training step (forward, loss, gradient, update) one jitted function, as a JAX user writes it.
 * The batches are made into arrays on the device before timing, as wgml's data sits on the GPU.
 * Each step is awaited (`blockUntilReady` on the new state), as jax-js's own MNIST demo trains and
 * as its README advises ("to avoid queueing up too many pending operations"): in a probe here,
 * leaving 100 steps pending made the wasm one-hidden step 3x slower per CPU-second than awaiting
 * each, while awaiting every 16th was ~30% faster; the mlp was fastest awaited every step. Each
 * timed repeat ends by reading the last loss (bench/peers/timing.ts: warm-up excluded, calibrated
 * repeats, medians).
 */

export interface JaxjsBenchOptions extends PeerBenchOptions {
  data: FashionMnist;
  models: readonly ModelName[];
  devices: readonly JaxjsDevice[];
}

/** A jax-js result: runtime 'jaxjs-<device>'. */
export type JaxjsBenchResult = PeerBenchResult;

const announced = new Set<JaxjsDevice>();

/** Trains each model on each device in turn. Devices stay initialised between calls; `releaseJaxjs()` ends WebGPU's. */
export async function benchJaxjs(options: JaxjsBenchOptions): Promise<JaxjsBenchResult[]> {
  const results: JaxjsBenchResult[] = [];
  const log = options.log ?? (() => {});
  const version = `jax-js ${jaxjsVersion()}`;
  for (const device of options.devices) {
    const base = { runtime: `jaxjs-${device}`, backend: device, version };
    let info;
    try {
      info = await useDevice(device);
    } catch (e) {
      for (const model of options.models) results.push(skippedResult({ ...base, model, batch: seedModel(model).fit.batchSize, adapter: '-' }, `failed: ${(e as Error).message}`));
      log(`jaxjs-${device}: ${(e as Error).message}`);
      continue;
    }
    if (!announced.has(device)) log(`jaxjs-${device}: ${info.adapter}, ${version}`);
    announced.add(device);
    for (const model of options.models) {
      const row = { ...base, model, batch: seedModel(model).fit.batchSize, adapter: info.adapter };
      try {
        const r = await benchModel(model, options, device, log);
        results.push({ ...row, ...r });
        log(`jaxjs-${device} ${model}: ${r.imagesPerS.median.toFixed(0)} images/s, ${r.msPerStep.median.toFixed(2)} ms/step (${r.repeats} x ${r.steps} steps)`);
      } catch (e) {
        results.push(skippedResult(row, `failed: ${(e as Error).message.split('\n')[0]}`));
        log(`jaxjs-${device} ${model}: failed: ${(e as Error).message}`);
      }
    }
  }
  return results;
}

export { releaseJaxjs };

async function benchModel(name: ModelName, options: JaxjsBenchOptions, device: JaxjsDevice, log: (line: string) => void) {
  const batch = seedModel(name).fit.batchSize;
  const batches = peerBatches(options.data, name).map((b) => ({ x: np.array(b.x, { shape: batchShape(name, batch) }), y: np.array(b.y, { shape: [batch, 10] }) }));
  const step = trainStep(name);
  const seed = seedModel(name).fit.seed;
  // The state each step consumes and replaces, and the last step's loss (each step's is disposed by the next).
  const run: { state: TrainState; loss: np.Array | null } = { state: initialState(name, initialParams(name, seed), seed), loss: null };
  let next = 0;
  try {
    return await timeSteps({
      step: async () => {
        const { x, y } = batches[next++ % batches.length]!;
        run.loss?.dispose();
        [run.state, run.loss] = step(run.state, x.ref, y.ref);
        await blockUntilReady(run.state);
      },
      finish: async () => {
        const value = run.loss ? ((await run.loss.ref.jsAsync()) as number) : Number.NaN;
        if (!Number.isFinite(value)) throw new Error(`the loss is ${value}`);
      },
    }, { batch, seconds: options.seconds, repeats: options.repeats, onCalibrated: (steps, repeats) => log(`jaxjs-${device} ${name}: batch ${batch}, ${repeats} x ${steps} steps`) });
  } finally {
    run.loss?.dispose();
    tree.dispose(run.state);
    for (const b of batches) tree.dispose([b.x, b.y]);
    step.dispose();
  }
}
