/**
 * Steady-state training steps of one seed model, as `bench` measures them (Trainer.trainEpoch over
 * real batches), but short and repeatable, to run alternately from two trees for an A/B of a change
 * (interleaved runs see the same load) or under `perf record`. Prints the step's dispatches, then
 * per repeat the wall and CPU ms per step, then the medians.
 *
 * Run: npx vite-node bench/step-probe.ts [model] [steps] [repeats] [precision]   (default one-hidden 400 5 float32)
 */
import { loadFashionMnistFromDisk } from '../src/node';
import { requestGpu } from '../src/gpu/device';
import { createDataset } from '../src/data/dataset';
import { ModelRuntime } from '../src/models/runtime';
import { seedModel } from '../src/models/seed-models';
import { Trainer } from '../src/train/trainer';
import { cpuMs, median } from '../src/bench/stats';
import type { Precision } from '../src/train/settings';

const [name = 'one-hidden', stepsArg = '400', repeatsArg = '5', precision = 'float32'] = process.argv.slice(2);
const steps = Number(stepsArg);
const repeats = Number(repeatsArg);
const seed = seedModel(name);
const batch = seed.fit.batchSize;

const data = await loadFashionMnistFromDisk({ env: {} });
const gpu = await requestGpu();
const dataset = createDataset(data, { preprocessing: seed.data.preprocessing, trainLimit: steps * batch, testLimit: 100 });
const runtime = await ModelRuntime.create(gpu, seed.build(), 1, null);
runtime.setAffine(dataset.affine);
const trainer = await Trainer.create(runtime, dataset.train, { batchSize: batch, lr: seed.fit.lr, optimizer: seed.fit.optimizer, seed: 1, precision: precision as Precision });
console.log(`${name} batch ${batch}: ${trainer.trainProgram.calls.length} dispatches: ${trainer.trainProgram.calls.map((c) => c.label).join(' | ')}`);
await trainer.trainEpoch(0);
const wall: number[] = [];
const cpu: number[] = [];
for (let r = 1; r <= repeats; r++) {
  const c = cpuMs();
  const t = performance.now();
  const m = await trainer.trainEpoch(r);
  wall.push((performance.now() - t) / steps);
  cpu.push((cpuMs() - c) / steps);
  console.log(`repeat ${r}: ${wall.at(-1)!.toFixed(3)} ms/step, ${cpu.at(-1)!.toFixed(3)} CPU ms/step, loss ${m.meanLoss.toFixed(6)}`);
}
console.log(`median: ${median(wall).toFixed(3)} ms/step (${Math.round((batch * 1000) / median(wall))} images/s), ${median(cpu).toFixed(3)} CPU ms/step`);
trainer.release();
runtime.release();
gpu.release();
