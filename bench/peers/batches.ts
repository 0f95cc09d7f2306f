import type { FashionMnist } from '../../src/data/fashion-mnist';
import { applyAffine, fitStandardScaler, scale01Affine, standardScalerAffine } from '../../src/data/preprocess';
import { seedModel, type ModelName } from '../../src/models/seed-models';

/** Distinct batches a peer cycles through (each made into the peer's tensors before timing). */
export const POOL = 16;

/** A batch as plain arrays: pre-processed pixels (batch x 784, example-major) and one-hot labels (batch x 10). */
export interface PeerBatch {
  x: Float32Array<ArrayBuffer>;
  y: Float32Array<ArrayBuffer>;
}

/**
 * The first `POOL` batches of the real training images at the seed model's batch size, with its
 * pre-processing (standard scaling fitted on the whole training set, or pixel / 255), as wgml
 * trains on them: every peer gets exactly these.
 */
export function peerBatches(data: FashionMnist, name: ModelName): PeerBatch[] {
  const seed = seedModel(name);
  const batch = seed.fit.batchSize;
  const pixels = data.shape[0] * data.shape[1];
  const count = Math.min(data.train.labels.length, POOL * batch);
  const affine = seed.data.preprocessing === 'standardize' ? standardScalerAffine(fitStandardScaler(data.train.images, pixels)) : scale01Affine(pixels);
  const x = applyAffine(data.train.images.subarray(0, count * pixels), affine);
  const out: PeerBatch[] = [];
  for (let b = 0; b + batch <= count; b += batch) {
    const y = new Float32Array(batch * 10);
    for (let i = 0; i < batch; i++) y[i * 10 + data.train.labels[b + i]!] = 1;
    out.push({ x: x.slice(b * pixels, (b + batch) * pixels), y });
  }
  if (out.length === 0) throw new Error(`Not enough training images for one batch of ${batch}.`);
  return out;
}
