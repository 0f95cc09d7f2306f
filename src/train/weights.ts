import { DataError } from '../errors';
import { decodeSafetensors, encodeSafetensors, type NamedTensor } from '../io/safetensors';
import type { PixelAffine } from '../data/preprocess';
import { MODEL_NAMES, seedModel, type SeedModel } from '../models/seed-models';
import type { Sequential } from '../models/sequential';

/**
 * A trained model as one safetensors file: each parameter as `<layer>.<name>` in Keras' layout
 * (dense kernel [in, out], conv kernel [kh, kw, cin, cout]), the pre-processing as
 * `preprocess.scale` / `preprocess.shift` (per pixel: x' = byte * scale + shift), and the model's
 * name in the metadata.
 */
export const WEIGHTS_FORMAT = 'wgml-weights/1';

export interface LoadedWeights {
  readonly seed: SeedModel;
  readonly model: Sequential;
  /** The model's parameter buffer, in its layout (graph/params.ts). */
  readonly params: Float32Array;
  readonly affine: PixelAffine;
  readonly metadata: Readonly<Record<string, string>>;
}

export function encodeWeights(model: Sequential, params: Float32Array, affine: PixelAffine, metadata: Record<string, string> = {}): Uint8Array {
  const tensors: NamedTensor[] = model.params.entries.map((e) => ({
    name: `${e.layerName}.${e.spec.name}`,
    shape: e.spec.shape,
    data: params.slice(e.offset, e.offset + e.count),
  }));
  tensors.push({ name: 'preprocess.scale', shape: [affine.scale.length], data: affine.scale });
  tensors.push({ name: 'preprocess.shift', shape: [affine.shift.length], data: affine.shift });
  return encodeSafetensors(tensors, { ...metadata, format: WEIGHTS_FORMAT, model: model.name });
}

const WEIGHTS_HINT = 'Pass a weights file written by `wgml train` (weights.safetensors) or its results folder.';

export function decodeWeights(bytes: Uint8Array, file: string): LoadedWeights {
  const { tensors, metadata } = decodeSafetensors(bytes, file, WEIGHTS_HINT);
  if (metadata.format !== WEIGHTS_FORMAT) {
    throw new DataError(`${file} holds no wgml weights (format '${metadata.format ?? 'none'}').`, WEIGHTS_HINT);
  }
  let seed: SeedModel;
  try {
    seed = seedModel(metadata.model ?? '');
  } catch {
    throw new DataError(`${file} is for an unknown model '${metadata.model ?? ''}'.`, `${WEIGHTS_HINT} This version knows ${MODEL_NAMES.join(', ')}.`);
  }
  const model = seed.build();
  const params = new Float32Array(model.params.totalElements);
  for (const e of model.params.entries) {
    const name = `${e.layerName}.${e.spec.name}`;
    const t = tensors.get(name);
    if (!t) throw new DataError(`${file} has no tensor '${name}', which the ${model.name} model needs.`, 'Was it written for another model or version?');
    if (t.shape.join('x') !== e.spec.shape.join('x')) {
      throw new DataError(`${file}: tensor '${name}' has shape [${t.shape.join(', ')}], the ${model.name} model needs [${e.spec.shape.join(', ')}].`, 'The file was edited or written for another model: pass the weights.safetensors of a `wgml train` run.');
    }
    if (!t.data.every(Number.isFinite)) throw new DataError(`${file}: tensor '${name}' holds NaN or infinite values.`, 'These weights come from a run that diverged: train again with a lower --lr.');
    params.set(t.data, e.offset);
  }
  const scale = tensors.get('preprocess.scale');
  const shift = tensors.get('preprocess.shift');
  const pixels = model.inputSize;
  if (!scale || !shift || scale.data.length !== pixels || shift.data.length !== pixels) {
    throw new DataError(`${file} lacks the pre-processing tensors (preprocess.scale and preprocess.shift, ${pixels} values each).`, WEIGHTS_HINT);
  }
  return { seed, model, params, affine: { scale: scale.data as Float32Array<ArrayBuffer>, shift: shift.data as Float32Array<ArrayBuffer> }, metadata };
}
