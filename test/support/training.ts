import { createDataset, type Dataset, type DatasetArrays, type DatasetOptions } from '../../src/data/dataset';
import type { Gpu } from '../../src/gpu/device';
import { ModelRuntime } from '../../src/models/runtime';
import type { Sequential } from '../../src/models/sequential';
import { Trainer, type TrainerSettings } from '../../src/train/trainer';

/** A model on a GPU with a training loop over a dataset, for tests that drive epochs step by step. */
export interface TrainerRun {
  dataset: Dataset;
  runtime: ModelRuntime;
  trainer: Trainer;
  /** Frees the training loop, then the model's buffers. */
  release(): void;
}

/**
 * What `model.fit` builds, without fit's epoch loop: the dataset (with `settings`' pre-processing
 * and limits), the parameters initialised from `settings.seed` (as `wgml train` compiles with its
 * seed), and a Trainer over the training split.
 */
export async function createTrainer(gpu: Gpu, model: Sequential, arrays: DatasetArrays, settings: TrainerSettings & DatasetOptions): Promise<TrainerRun> {
  const { batchSize, optimizer, lr, seed, preprocessing, validationSplit, trainLimit, testLimit } = settings;
  const dataset = createDataset(arrays, { preprocessing, validationSplit, trainLimit, testLimit });
  const runtime = await ModelRuntime.create(gpu, model, seed, null);
  try {
    runtime.setAffine(dataset.affine);
    const trainer = await Trainer.create(runtime, dataset.train, { batchSize, optimizer, lr, seed });
    return {
      dataset,
      runtime,
      trainer,
      release() {
        trainer.release();
        runtime.release();
      },
    };
  } catch (e) {
    runtime.release();
    throw e;
  }
}
