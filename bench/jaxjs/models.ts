import { jit, lax, nn, numpy as np, random, tree, valueAndGrad, type OwnedFunction } from '@jax-js/jax';
import { ADAM_DEFAULTS } from '../../src/kernels/optimizer';
import type { ModelName } from '../../src/models/seed-models';
import { seedModel } from '../../src/models/seed-models';

/**
 * The three seed models (../shared/spec/models.md) written with jax-js's NumPy/JAX API, and their
 * whole training step (forward, categorical cross-entropy, gradient, optimiser update) as one `jit`.
 *
 * jax-js's optax port is not on npm, so SGD and Adam are written here with Keras' formulas (those of
 * shaders/adam.wgsl and TF.js): Adam with beta1 0.9, beta2 0.999, epsilon 1e-7 added to sqrt(v)
 * of the uncorrected v, alpha_t = lr * sqrt(1 - beta2^t) / (1 - beta1^t) formed inside the step from
 * a step counter that is part of the optimiser state (as Keras and optax do), so a step uploads
 * nothing but its batch.
 *
 * Layouts are jax-js's own, as a jax-js user writes them: activations NCHW for the CNN (its
 * convolution is lax.conv's NCHW/OIHW), dense kernels [in, out]. `paramsFromWgml` converts wgml's
 * weights (conv kernels HWIO, flatten in HWC order) so a test can start both runtimes from the same
 * weights.
 *
 * jax-js counts references: every function consumes its array arguments, so an array used twice is
 * passed as `.ref` the first time (see its README).
 */

/** One layer's parameters (dense or conv). A `type`, not an interface: jax-js's JsTree needs one. */
export type LayerParams = { kernel: np.Array; bias: np.Array };
export type Params = LayerParams[];
type AdamState = { t: np.Array; m: Params; v: Params };
/**
 * Everything a step reads and replaces: the parameters; `adam`: Adam's step count and moments (one
 * entry; none for SGD); `key`: the CNN's dropout key (one entry; none otherwise). Lists rather than
 * nulls, because jax-js's trees hold arrays, lists and objects only.
 */
export type TrainState = { params: Params; adam: AdamState[]; key: np.Array[] };

/** jax-js's training step: consumes the state, the batch (x) and the one-hot labels (y); returns the next state and the batch's loss. */
export type TrainStep = OwnedFunction<(state: TrainState, x: np.Array, y: np.Array) => [TrainState, np.Array]>;

/** A parameter tensor in jax-js's layout: its shape and Glorot-uniform fans (zero fans: a zero bias). */
interface ParamShape {
  shape: number[];
  fanIn: number;
  fanOut: number;
}

const DROPOUT = 0.2;

/** Each layer's [kernel, bias] shapes in jax-js's layouts. */
function paramShapes(name: ModelName): [ParamShape, ParamShape][] {
  const dense = (i: number, o: number): [ParamShape, ParamShape] => [{ shape: [i, o], fanIn: i, fanOut: o }, { shape: [o], fanIn: 0, fanOut: 0 }];
  const conv = (ci: number, co: number): [ParamShape, ParamShape] => [{ shape: [co, ci, 3, 3], fanIn: 9 * ci, fanOut: 9 * co }, { shape: [co], fanIn: 0, fanOut: 0 }];
  if (name === 'one-hidden') return [dense(784, 128), dense(128, 10)];
  if (name === 'mlp') return [dense(784, 512), dense(512, 256), dense(256, 128), dense(128, 10)];
  return [conv(1, 64), conv(64, 32), dense(7 * 7 * 32, 256), dense(256, 10)];
}

/** The input shape of one batch as the model takes it: [batch, 784], or NCHW [batch, 1, 28, 28] for the CNN. */
export function batchShape(name: ModelName, batch: number): number[] {
  return name === 'cnn' ? [batch, 1, 28, 28] : [batch, 784];
}

/** Glorot-uniform kernels and zero biases (Keras' defaults) from jax-js's PRNG, on the default device. */
export function initialParams(name: ModelName, seed: number): Params {
  const shapes = paramShapes(name);
  const keys = random.split(random.key(seed), shapes.length);
  const params = shapes.map(([k, b], i) => {
    const limit = Math.sqrt(6 / (k.fanIn + k.fanOut));
    return { kernel: random.uniform(keys.ref.slice(i), k.shape, { minval: -limit, maxval: limit }), bias: np.zeros(b.shape) };
  });
  keys.dispose();
  return params;
}

/**
 * wgml's weights (`Sequential.getWeights()`, laid out as `layout` says) as jax-js parameters: conv
 * kernels HWIO to OIHW, and the rows of the dense layer after the CNN's flatten from wgml's HWC
 * order to jax-js's CHW order.
 */
export function paramsFromWgml(name: ModelName, weights: Float32Array, layout: readonly { offset: number; count: number; spec: { shape: readonly number[] } }[]): Params {
  const shapes = paramShapes(name);
  if (layout.length !== 2 * shapes.length) throw new Error(`${name}: wgml has ${layout.length} parameter tensors, jax-js ${2 * shapes.length}`);
  return shapes.map(([k, b], i) => {
    const kw = layout[2 * i]!;
    const bw = layout[2 * i + 1]!;
    let kernel = weights.slice(kw.offset, kw.offset + kw.count);
    if (k.shape.length === 4) kernel = permute(kernel, kw.spec.shape, [3, 2, 0, 1]); // HWIO -> OIHW
    if (name === 'cnn' && i === 2) kernel = permute(kernel, [7, 7, 32, 256], [2, 0, 1, 3]); // rows (h, w, c) -> (c, h, w)
    return { kernel: np.array(kernel, { shape: k.shape }), bias: np.array(weights.slice(bw.offset, bw.offset + bw.count), { shape: b.shape }) };
  });
}

/** `data` of row-major `shape` with its axes reordered: output axis j is input axis `order[j]`. */
function permute(data: Float32Array, shape: readonly number[], order: readonly number[]): Float32Array<ArrayBuffer> {
  const outShape = order.map((a) => shape[a]!);
  const inStrides = shape.map((_, a) => shape.slice(a + 1).reduce((p, d) => p * d, 1));
  const out = new Float32Array(data.length);
  const index = new Array<number>(outShape.length).fill(0);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let j = 0; j < order.length; j++) src += index[j]! * inStrides[order[j]!]!;
    out[o] = data[src]!;
    for (let j = outShape.length - 1; j >= 0 && ++index[j]! === outShape[j]!; j--) index[j] = 0;
  }
  return out;
}

/** The optimiser state a step starts from: Adam's zero moments and step 0, or none for SGD; the CNN's dropout key. */
export function initialState(name: ModelName, params: Params, seed: number): TrainState {
  const zeros = () => params.map((p) => ({ kernel: np.zeros(p.kernel.shape), bias: np.zeros(p.bias.shape) }));
  const adam = seedModel(name).fit.optimizer === 'adam' ? [{ t: np.array(0), m: zeros(), v: zeros() }] : [];
  return { params, adam, key: name === 'cnn' ? [random.key(seed + 1)] : [] };
}

/** Logits of a batch. `dropoutKeys`: one key per dropout layer while training (the CNN's), none for inference. */
export function forward(name: ModelName, params: Params, x: np.Array, dropoutKeys: np.Array[] | null = null): np.Array {
  const [l0, l1, l2, l3] = params;
  const dense = (h: np.Array, l: LayerParams) => np.dot(h, l.kernel).add(l.bias);
  if (name === 'one-hidden') return dense(nn.sigmoid(dense(x, l0!)), l1!);
  if (name === 'mlp') return dense(nn.relu(dense(nn.relu(dense(nn.relu(dense(x, l0!)), l1!)), l2!)), l3!);
  // Keras' order: conv + bias, ReLU, dropout (inverted: kept values scaled by 1 / (1 - rate)), 2x2 max-pool.
  const block = (h: np.Array, l: LayerParams, key: np.Array | undefined) => {
    const co = l.bias.shape[0]!;
    let a = nn.relu(lax.conv(h, l.kernel, [1, 1], 'SAME').add(l.bias.reshape([co, 1, 1])));
    if (key) a = np.where(random.bernoulli(key, 1 - DROPOUT, a.shape), a.mul(1 / (1 - DROPOUT)), 0);
    return lax.reduceWindow(a, np.max, [2, 2], [2, 2]);
  };
  const h = block(block(x, l0!, dropoutKeys?.[0]), l1!, dropoutKeys?.[1]);
  return dense(nn.relu(dense(h.reshape([h.shape[0]!, -1]), l2!)), l3!);
}

/** Categorical cross-entropy of the logits against one-hot labels, the mean over the batch (softmax inside, as Keras' loss on a softmax layer). */
function crossEntropy(logits: np.Array, y: np.Array): np.Array {
  return nn.logSoftmax(logits).mul(y).sum().mul(-1 / logits.shape[0]!);
}

/** The whole training step of a seed model, with its optimiser and learning rate, as one `jit`. */
export function trainStep(name: ModelName): TrainStep {
  const { optimizer, lr } = seedModel(name).fit;
  const { beta1, beta2, epsilon } = ADAM_DEFAULTS;
  return jit((state: TrainState, x: np.Array, y: np.Array): [TrainState, np.Array] => {
    // The CNN's next key and one per dropout layer, split from this step's key.
    const [key, ...dropoutKeys] = state.key.length ? random.split(state.key[0]!, 3) : [];
    const loss = (params: Params) => crossEntropy(forward(name, params, x, dropoutKeys.length ? dropoutKeys : null), y);
    const [value, grads] = valueAndGrad(loss)(tree.ref(state.params));
    const next = key ? [key] : [];
    const adam = state.adam[0];
    if (!adam) {
      const params = tree.map((p: np.Array, g: np.Array) => p.sub(g.mul(lr)), state.params, grads) as Params;
      return [{ params, adam: [], key: next }, value];
    }
    const { t, m, v } = adam;
    const t1 = t.add(1);
    const alpha = np.sqrt(np.subtract(1, np.power(beta2, t1.ref))).div(np.subtract(1, np.power(beta1, t1.ref))).mul(lr);
    const m1 = tree.map((mi: np.Array, g: np.Array) => mi.ref.add(g.sub(mi).mul(1 - beta1)), m, tree.ref(grads)) as Params;
    const v1 = tree.map((vi: np.Array, g: np.Array) => vi.ref.add(g.ref.mul(g).sub(vi).mul(1 - beta2)), v, grads) as Params;
    const params = tree.map(
      (p: np.Array, mi: np.Array, vi: np.Array) => p.sub(alpha.ref.mul(mi).div(np.sqrt(vi).add(epsilon))),
      state.params, tree.ref(m1), tree.ref(v1),
    ) as Params;
    alpha.dispose();
    return [{ params, adam: [{ t: t1, m: m1, v: v1 }], key: next }, value];
  });
}
