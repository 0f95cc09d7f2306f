/**
 * The model's ten class probabilities for one drawing, by `model.predict`. The trained weights
 * (model.save()'s bytes) are loaded and compiled once per set of weights and device, and that model
 * is kept for the drawings that follow. Calls must not overlap: the page predicts one drawing at a time.
 */
import type { RemoteModel } from '../../src/index';
import type { Gpu } from './gpu';
import type { TrainedModel } from './training';

export class Predictor {
  private current: { weights: Uint8Array; gpu: Gpu; model: RemoteModel } | null = null;

  async probabilities(gpu: Gpu, trained: TrainedModel, image: Uint8Array): Promise<Float32Array> {
    return (await this.modelFor(gpu, trained)).predict(image);
  }

  private async modelFor(gpu: Gpu, trained: TrainedModel): Promise<RemoteModel> {
    const c = this.current;
    if (c?.weights === trained.weights && c.gpu === gpu) return c.model;
    c?.model.release();
    this.current = null;
    // Read in the worker: parsing the weights here would hold the page's thread at each epoch's end.
    const model = await gpu.loadModel(trained.weights);
    this.current = { weights: trained.weights, gpu, model };
    return model;
  }
}
