import { acquireGpu, describeGpu } from '/work/main/src/gpu/device';
import { loadFashionMnistFromDisk } from '/work/main/src/data/locate-node';
import { seedModel } from '/work/main/src/models/seed-models';
import { Trainer } from '/work/main/src/train/trainer';
const name = process.argv[2] ?? 'one-hidden';
const gpu = await acquireGpu();
console.log(describeGpu(gpu));
const data = await loadFashionMnistFromDisk();
const sm = seedModel(name);
const model = sm.build();
console.log(model.summary());
const t0 = performance.now();
const trainer = await Trainer.create(gpu, model, data, { ...sm.defaults, seed: 1, preprocessing: sm.preprocessing, trainLimit: Number(process.argv[3] ?? 6000) });
console.log('compiled in', ((performance.now()-t0)/1000).toFixed(1), 's; memory', trainer.memoryReport(), 'dispatches/step', trainer.trainProgram.calls.length);
for (let e = 0; e < Number(process.argv[4] ?? 2); e++) {
  const t = performance.now();
  const m = await trainer.trainEpoch(e);
  const dt = (performance.now() - t) / 1000;
  const v = await trainer.evaluate();
  console.log(`epoch ${e+1}: loss ${m.meanLoss.toFixed(4)} acc ${m.accuracy.toFixed(4)} val_loss ${v.meanLoss.toFixed(4)} val_acc ${v.accuracy.toFixed(4)}  ${dt.toFixed(1)}s ${(m.rows/dt).toFixed(0)} img/s`);
}
trainer.release();
gpu.release();
