/**
 * A float64 forward pass of a whole Sequential model and its mean softmax cross-entropy: the
 * reference a finite-difference gradient check differentiates. Built from the per-layer oracles.
 */
import { conv2dGeometry } from '../../src/kernels/conv2d';
import { Conv2d } from '../../src/layers/conv2d';
import { Dense } from '../../src/layers/dense';
import { Dropout } from '../../src/layers/dropout';
import { Flatten } from '../../src/layers/flatten';
import { MaxPool2d } from '../../src/layers/maxpool2d';
import type { Sequential } from '../../src/models/sequential';
import { conv2dForwardRef, maxPoolForwardRef } from './conv';
import { denseForwardRef } from './dense';
import { dropoutMaskRef, dropoutRef, softmaxXentRef } from './loss';

export interface DropoutDraw {
  seed: number;
  step: number;
}

/**
 * Mean cross-entropy over the first `rows` of the batch, for parameters `params` (the model's buffer
 * layout). `preActivations`, when given, hears each ReLU layer's inputs for the first `rows` rows
 * (a gradient check must not sit on a ReLU's kink, where float32 and float64 may take opposite sides).
 */
export function networkLossRef(
  model: Sequential, params: ArrayLike<number>, x: ArrayLike<number>, labels: ArrayLike<number>, batch: number, rows: number, draw: DropoutDraw,
  preActivations?: (layer: number, z: Float64Array) => void,
): number {
  const tensor = (layer: number, name: string) => {
    const e = model.params.entries.find((p) => p.layer === layer && p.spec.name === name)!;
    return Array.prototype.slice.call(params, e.offset, e.offset + e.count) as number[];
  };
  let a: ArrayLike<number> = x;
  model.layers.forEach((layer, i) => {
    const [inShape, outShape] = [model.shapes[i]!, model.shapes[i + 1]!];
    // ReLU layers run linear, then the ReLU, so that their inputs can be reported.
    const relu = preActivations && layer.activation === 'relu';
    if (layer instanceof Dense) {
      const act = layer.activation === 'softmax' || relu ? 'linear' : layer.activation;
      a = denseForwardRef(a, tensor(i, 'kernel'), tensor(i, 'bias'), batch, layer.units, inShape[0]!, act);
    } else if (layer instanceof Conv2d) {
      const [h, w, cin] = inShape as [number, number, number];
      const g = conv2dGeometry({ h, w, cin, kh: layer.kh, kw: layer.kw, cout: layer.filters, stride: layer.stride, padding: layer.padding });
      a = conv2dForwardRef(a, tensor(i, 'kernel'), tensor(i, 'bias'), { n: batch, h, w, cin, kh: g.kh, kw: g.kw, cout: g.cout, stride: g.stride, padTop: g.padTop, padLeft: g.padLeft, oh: g.oh, ow: g.ow }, relu ? 'linear' : layer.activation);
    } else if (layer instanceof MaxPool2d) {
      const [h, w, c] = inShape as [number, number, number];
      a = maxPoolForwardRef(a, { n: batch, h, w, c, ph: layer.pool[0], pw: layer.pool[1], sh: layer.stride[0], sw: layer.stride[1], oh: outShape[0]!, ow: outShape[1]! }).y;
    } else if (layer instanceof Dropout) {
      a = dropoutRef(a, dropoutMaskRef(a.length, layer.rate, draw.seed, draw.step, i), layer.rate);
    } else if (!(layer instanceof Flatten)) {
      throw new Error(`networkLossRef: no oracle for ${layer.kind}`);
    }
    if (relu && (layer instanceof Dense || layer instanceof Conv2d)) {
      const z = a as Float64Array;
      preActivations(i, z.slice(0, (z.length / batch) * rows));
      a = z.map((v) => Math.max(0, v));
    }
  });
  return softmaxXentRef(a, labels, batch, model.classes, rows).lossSum / rows;
}
