import { DataError } from '../errors';
import { decodeSafetensors, encodeSafetensors, type NamedTensor, type SafetensorsFile } from '../io/safetensors';
import type { PixelAffine } from '../data/preprocess';
import { parseDefinition, type ModelDefinition } from '../models/definition';
import type { Sequential } from '../models/sequential';

/**
 * A trained model as one safetensors file (docs/weights.md): each parameter as `<layer>.<name>` in
 * Keras' layout (dense kernel [in, out], conv kernel [kh, kw, cin, cout]), the pre-processing as
 * `preprocess.scale` / `preprocess.shift` (per pixel: x' = x * scale + shift), and in the metadata
 * the format, the model's name and its architecture as a JSON model definition, so that loading
 * needs nothing else.
 */
export const WEIGHTS_FORMAT = 'wgml-weights/1';

/** The parameters as named tensors, `<prefix><layer>.<name>`, and the pre-processing. */
export function modelTensors(model: Sequential, params: Float32Array, affine: PixelAffine | null, prefix = ''): NamedTensor[] {
  const tensors: NamedTensor[] = model.params.entries.map((e) => ({
    name: `${prefix}${e.layerName}.${e.spec.name}`,
    shape: e.spec.shape,
    data: params.subarray(e.offset, e.offset + e.count),
  }));
  if (affine) {
    tensors.push({ name: 'preprocess.scale', shape: [affine.scale.length], data: affine.scale });
    tensors.push({ name: 'preprocess.shift', shape: [affine.shift.length], data: affine.shift });
  }
  return tensors;
}

export function encodeWeights(model: Sequential, params: Float32Array, affine: PixelAffine, metadata: Record<string, string> = {}): Uint8Array {
  return encodeSafetensors(modelTensors(model, params, affine), { ...metadata, format: WEIGHTS_FORMAT, model: model.name, architecture: JSON.stringify(model.toJSON()) });
}

export const WEIGHTS_HINT = 'Pass a weights file written by wgml (model.save(), or weights.safetensors in a `wgml train` results folder).';

/** Decodes a weights file: its tensors and metadata, checked to be wgml weights. */
export function decodeWeightsFile(bytes: Uint8Array, file: string): SafetensorsFile {
  const decoded = decodeSafetensors(bytes, file, WEIGHTS_HINT);
  if (decoded.metadata.format !== WEIGHTS_FORMAT) {
    throw new DataError(`${file} holds no wgml weights (format '${decoded.metadata.format ?? 'none'}').`, WEIGHTS_HINT);
  }
  return decoded;
}

/** The model definition a file's `architecture` metadata holds. */
export function architectureOf(file: SafetensorsFile, name: string, hint: string): ModelDefinition {
  const text = file.metadata.architecture;
  if (text === undefined) throw new DataError(`${name} does not say which model it is for (no 'architecture' metadata).`, `${hint} Files from before wgml 0.2 lack it: train again.`);
  try {
    return parseDefinition(text, `${name}'s architecture`);
  } catch (e) {
    throw new DataError(`${name}'s architecture is not a valid model: ${(e as Error).message}`, hint);
  }
}

/** The model's parameter buffer from `<prefix><layer>.<name>` tensors, each checked for shape and finiteness. */
export function gatherParams(file: SafetensorsFile, model: Sequential, name: string, prefix: string): Float32Array {
  const params = new Float32Array(model.params.totalElements);
  for (const e of model.params.entries) {
    const tensorName = `${prefix}${e.layerName}.${e.spec.name}`;
    const t = file.tensors.get(tensorName);
    if (!t) throw new DataError(`${name} has no tensor '${tensorName}', which the ${model.name} model needs.`, 'The file was edited or written for another model.');
    if (t.shape.join('x') !== e.spec.shape.join('x')) {
      throw new DataError(`${name}: tensor '${tensorName}' has shape [${t.shape.join(', ')}], the ${model.name} model needs [${e.spec.shape.join(', ')}].`, 'The file was edited or written for another model.');
    }
    if (!t.data.every(Number.isFinite)) throw new DataError(`${name}: tensor '${tensorName}' holds NaN or infinite values.`, 'These come from a run that diverged: train again with a lower learning rate (--lr).');
    params.set(t.data, e.offset);
  }
  return params;
}

export function affineOf(file: SafetensorsFile, model: Sequential, name: string, hint: string): PixelAffine {
  const scale = file.tensors.get('preprocess.scale')?.data;
  const shift = file.tensors.get('preprocess.shift')?.data;
  const pixels = model.inputSize;
  if (!scale || !shift || scale.length !== pixels || shift.length !== pixels) {
    throw new DataError(`${name} lacks the pre-processing tensors (preprocess.scale and preprocess.shift, ${pixels} values each).`, hint);
  }
  if (![...scale, ...shift].every(Number.isFinite)) throw new DataError(`${name}: the pre-processing holds NaN or infinite values.`, hint);
  return { scale: scale as Float32Array<ArrayBuffer>, shift: shift as Float32Array<ArrayBuffer> };
}
