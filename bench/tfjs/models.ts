import * as tf from '@tensorflow/tfjs';
import type { ModelName } from '../../src/models/seed-models';
import { seedModel } from '../../src/models/seed-models';

/**
 * The three seed models (../shared/spec/models.md) as Keras-style tf.layers models: the same
 * layers and shapes, the same optimisers and learning rates (Adam: beta1 0.9, beta2 0.999,
 * epsilon 1e-7, as Keras), categorical cross-entropy on one-hot labels, glorot-uniform weights and
 * zero biases (tf.layers' defaults, as Keras').
 */
export function tfjsModel(name: ModelName): tf.LayersModel {
  const d = seedModel(name).fit;
  const model = tf.sequential({ name: `tfjs-${name}` });
  if (name === 'one-hidden') {
    model.add(tf.layers.dense({ inputShape: [784], units: 128, activation: 'sigmoid' }));
    model.add(tf.layers.dense({ units: 10, activation: 'softmax' }));
  } else if (name === 'mlp') {
    model.add(tf.layers.flatten({ inputShape: [28, 28, 1] }));
    for (const units of [512, 256, 128]) model.add(tf.layers.dense({ units, activation: 'relu' }));
    model.add(tf.layers.dense({ units: 10, activation: 'softmax' }));
  } else {
    model.add(tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 64, kernelSize: 3, padding: 'same', activation: 'relu' }));
    model.add(tf.layers.dropout({ rate: 0.2 }));
    model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
    model.add(tf.layers.conv2d({ filters: 32, kernelSize: 3, padding: 'same', activation: 'relu' }));
    model.add(tf.layers.dropout({ rate: 0.2 }));
    model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
    model.add(tf.layers.flatten());
    model.add(tf.layers.dense({ units: 256, activation: 'relu' }));
    model.add(tf.layers.dense({ units: 10, activation: 'softmax' }));
  }
  const optimizer = d.optimizer === 'sgd' ? tf.train.sgd(d.lr) : tf.train.adam(d.lr, 0.9, 0.999, 1e-7);
  model.compile({ optimizer, loss: 'categoricalCrossentropy' });
  return model;
}

/** The input shape of one example, as the model above takes it. */
export function exampleShape(name: ModelName): number[] {
  return name === 'one-hidden' ? [784] : [28, 28, 1];
}
