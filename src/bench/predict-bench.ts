import { createDataset, type DatasetArrays } from '../data/dataset';
import type { Gpu } from '../gpu/device';
import { GpuError } from '../errors';
import { ModelRuntime } from '../models/runtime';
import { summarize, type Summary } from './stats';
import type { BenchModel } from './train-bench';

/** One model's inference throughput (benchPredict). */
export interface PredictBenchResult {
  /** BenchModel.name. */
  model: string;
  /** Images per GPU batch of the predict program. */
  batch: number;
  /** Images per timed repeat. */
  images: number;
  repeats: number;
  /** Images per second, wall clock, over the repeats. */
  imagesPerS: Summary;
}

/**
 * Inference throughput: model.predict's path (upload the raw images batch by batch, gather and
 * pre-process on the GPU, the forward pass, softmax, one read back) over `batch`-image batches of
 * real test images (halved until the adapter can bind them), after one untimed repeat that
 * compiles the predict program.
 */
export async function benchPredict(gpu: Gpu, data: DatasetArrays, spec: BenchModel, options: { batch?: number; repeats?: number; seed?: number } = {}): Promise<PredictBenchResult> {
  let batch = options.batch ?? 1000;
  const repeats = Math.max(1, options.repeats ?? 5);
  const dataset = createDataset(data, { preprocessing: spec.preprocessing });
  const source = dataset.test ?? dataset.validation;
  const count = Math.min(source.count, 4 * batch);
  const images = source.images.subarray(0, count * (source.images.length / source.count));
  const runtime = await ModelRuntime.create(gpu, spec.build(), options.seed ?? 1, null);
  try {
    runtime.setAffine(dataset.affine);
    // The largest batch up to the one asked for whose buffers this adapter can bind (the CNN's
    // activations at 1,000 images exceed lavapipe's 128 MiB binding limit).
    for (;;) {
      try {
        await runtime.predict(images, count, batch);
        break;
      } catch (e) {
        if (!(e instanceof GpuError && /maxStorageBufferBindingSize/.test(e.message)) || batch === 1) throw e;
        batch = Math.ceil(batch / 2);
      }
    }
    const rates: number[] = [];
    for (let r = 0; r < repeats; r++) {
      const start = performance.now();
      await runtime.predict(images, count, batch);
      rates.push(count / ((performance.now() - start) / 1000));
    }
    return { model: spec.name, batch: Math.min(batch, count), images: count, repeats, imagesPerS: summarize(rates) };
  } finally {
    runtime.release();
  }
}
