import { DataError, ShapeError } from '../errors';
import { CHECKPOINT_HINT, decodeCheckpointFile, readCheckpoint, type Checkpoint } from '../train/checkpoint';
import { affineOf, architectureOf, decodeWeightsFile, gatherParams, WEIGHTS_HINT } from '../train/weights';
import type { ModelDefinition } from './definition';
import { Sequential } from './sequential';

/**
 * Rebuilds a model saved with `model.save()` (or a `wgml train` run's weights.safetensors): its
 * architecture, weights and pre-processing all come from the bytes. Compile it to use it.
 * `source` names the bytes in error messages (e.g. the file path).
 */
export function loadModel(bytes: Uint8Array, source = 'the weights file'): Sequential {
  const file = decodeWeightsFile(bytes, source);
  const model = buildArchitecture(architectureOf(file, source, WEIGHTS_HINT), source, WEIGHTS_HINT);
  model.setPendingWeights(gatherParams(file, model, source, ''), affineOf(file, model, source, WEIGHTS_HINT));
  return model;
}

/** A checkpoint's model (with its weights) and the run to continue: see `model.checkpoint()`. */
export interface LoadedCheckpoint extends Checkpoint {
  model: Sequential;
}

/**
 * Reads a checkpoint written by `model.checkpoint()` (or a `wgml train` run's checkpoint.safetensors).
 * Continue the run with `await model.compile(gpu)`, a dataset made with the same `data` settings,
 * then `model.fit(dataset, { ...fit, history, resume: state })`.
 */
export function loadCheckpoint(bytes: Uint8Array, source = 'the checkpoint file'): LoadedCheckpoint {
  const { decoded, definition, meta } = decodeCheckpointFile(bytes, source);
  const model = buildArchitecture(definition, source, CHECKPOINT_HINT);
  const checkpoint = readCheckpoint(source, decoded, meta, model);
  model.setPendingWeights(checkpoint.state.params, checkpoint.affine);
  return { ...checkpoint, model };
}

/** The file's model; an architecture that validates but does not fit together is a bad file, not bad code. */
function buildArchitecture(definition: ModelDefinition, source: string, hint: string): Sequential {
  try {
    return Sequential.fromJSON(definition);
  } catch (e) {
    if (e instanceof ShapeError) throw new DataError(`${source}'s architecture is not a valid model: ${e.message.split('\n')[0]}`, hint);
    throw e;
  }
}
