/**
 * The TF.js side of `bench --compare tfjs`: its models are the seed models (same parameter counts),
 * and the wasm filter gradient it can add agrees with TF.js's own cpu backend.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { addWasmConvFilterGradient, hasConvFilterGradient, useBackend } from '../../bench/tfjs/backends';
import { tfjsModel } from '../../bench/tfjs/models';
import { MODEL_NAMES, seedModel } from '../../src/models/seed-models';

describe('TF.js comparison models', () => {
  it.each(MODEL_NAMES)('%s has the seed model\'s layers and parameter count', async (name) => {
    await tf.setBackend('cpu');
    const model = tfjsModel(name);
    try {
      expect(model.countParams()).toBe(seedModel(name).build().params.paramCount);
      expect(model.countParams()).toBe({ 'one-hidden': 101_770, mlp: 567_434, cnn: 423_338 }[name]);
    } finally {
      model.dispose();
    }
  });
});

describe('the added wasm Conv2DBackpropFilter', () => {
  it('matches the cpu backend for stride 1, same and valid padding', async () => {
    const grads = () => {
      const x = tf.tensor4d(Array.from({ length: 2 * 7 * 6 * 3 }, (_, i) => Math.sin(i)), [2, 7, 6, 3]);
      const w = tf.tensor4d(Array.from({ length: 3 * 3 * 3 * 4 }, (_, i) => Math.cos(i)), [3, 3, 3, 4]);
      return (['same', 'valid'] as const).map((pad) => {
        const shape: [number, number, number, number] = pad === 'same' ? [2, 7, 6, 4] : [2, 5, 4, 4];
        const dy = tf.tensor4d(Array.from({ length: shape.reduce((a, b) => a * b) }, (_, i) => Math.sin(0.3 * i)), shape);
        return tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(x, v as tf.Tensor4D, 1, pad), dy)))(w).arraySync();
      });
    };
    await tf.setBackend('cpu');
    const expected = grads();
    await useBackend('wasm');
    expect(hasConvFilterGradient('wasm')).toBe(false); // as shipped
    addWasmConvFilterGradient();
    expect(hasConvFilterGradient('wasm')).toBe(true);
    const got = grads();
    const flat = (v: unknown) => (v as number[][][][]).flat(3);
    for (let k = 0; k < 2; k++) {
      const e = flat(expected[k]);
      flat(got[k]).forEach((v, i) => expect(v).toBeCloseTo(e[i]!, 3));
    }
  });
});
