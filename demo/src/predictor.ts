/**
 * The model's ten class probabilities for one 28x28 image, through the public Trainer API: a
 * Trainer over a one-image split, given the trained weights and pre-processing, evaluates that
 * image. Creating it compiles nothing new after the first time (pipelines are cached per device)
 * and it is released at once, so the GPU memory of a prediction is back before the next one.
 */
import { FASHION_MNIST_CLASSES, type FashionMnist, type Split } from '../../src/data';
import type { Gpu } from '../../src/gpu/device';
import { Trainer } from '../../src/train/trainer';
import type { TrainedModel } from './training';

export const IMAGE_SIDE = 28;

export async function classProbabilities(gpu: Gpu, trained: TrainedModel, image: Uint8Array<ArrayBuffer>): Promise<Float32Array> {
  if (image.length !== IMAGE_SIDE * IMAGE_SIDE) throw new RangeError(`expected a ${IMAGE_SIDE}x${IMAGE_SIDE} image, got ${image.length} bytes`);
  const one: Split = { images: image, labels: new Uint8Array(1), count: 1 };
  const data: FashionMnist = { train: one, test: one, rows: IMAGE_SIDE, cols: IMAGE_SIDE, classes: FASHION_MNIST_CLASSES, source: 'the drawing pad' };
  const trainer = await Trainer.create(gpu, trained.seed.build(), data, {
    batchSize: 1,
    lr: 1e-3, // never used: nothing is trained
    optimizer: 'sgd',
    seed: 0,
    preprocessing: trained.seed.preprocessing,
    affine: trained.affine,
    evalBatch: 1,
  });
  try {
    trainer.writeParams(trained.params);
    const { probabilities } = await trainer.evaluate('test', { probabilities: true });
    if (!probabilities || probabilities.length !== trainer.model.classes) throw new Error('the evaluation returned no probabilities');
    return probabilities;
  } finally {
    trainer.release();
  }
}
