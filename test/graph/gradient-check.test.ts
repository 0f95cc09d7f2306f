/**
 * Finite-difference gradient check of every backward kernel, through whole training programs:
 * the GPU's parameter gradients after one compiled training step must match central differences
 * of the float64 oracle's loss, for every parameter of small networks at awkward sizes. In mixed
 * precision the step reads the dense layers' weights from their f16 copy, so its gradients are those
 * at the weights rounded to f16: the oracle takes them there, and a step that ignored the copy fails.
 */
import { describe, expect, it } from 'vitest';
import { readF32, storageBuffer } from '../../src/gpu/buffers';
import { submitCalls } from '../../src/gpu/kernel';
import { affineWords, uploadSplit } from '../../src/data/gpu-dataset';
import { scale01Affine } from '../../src/data/preprocess';
import { compile } from '../../src/graph/compile';
import { conv2dGeometry, conv2dPlan } from '../../src/kernels/conv2d';
import { eightLaneSubgroups } from '../../src/gpu/device';
import { metricsBuffer, readMetrics, resetMetrics } from '../../src/kernels/metrics';
import { softmaxXentTrain } from '../../src/kernels/softmax-xent';
import { stepUniform, writeStepUniform } from '../../src/kernels/step';
import { Conv2d } from '../../src/layers/conv2d';
import { Dense } from '../../src/layers/dense';
import { Dropout } from '../../src/layers/dropout';
import { Flatten } from '../../src/layers/flatten';
import { MaxPool2d } from '../../src/layers/maxpool2d';
import { Sequential } from '../../src/models/sequential';
import { initializeParams } from '../../src/models/runtime';
import { halfCopyBytes, packHalves } from '../../src/kernels/half';
import { useGpu } from '../support/gpu';
import { floatToHalf, halfToFloat } from '../support/half';
import { testRng } from '../support/random';
import { networkLossRef } from '../oracle/network';

const gpu = useGpu();

/** ReLU inputs closer to 0 than this make the finite differences unreliable (see below). */
const KINK_MARGIN = 1e-4;

const NETWORKS: { name: string; build: () => Sequential }[] = [
  {
    // Every backward kernel and every way an activation's gradient is applied: fused into a conv's
    // input gradient (conv_b <- conv_a's relu), into dropout's (dropout <- conv_b's sigmoid), into a
    // dense layer's (dense_b <- dense_a's relu), and as its own op where max-pool cannot (pool_b <-
    // conv_c's relu: 3 channels keep pool_b off the vec4 kernels that could fuse it).
    name: 'conv, strided conv, dropout, pool, 1x1 conv, pool, dense',
    build: () =>
      new Sequential({ name: 'tiny-cnn', input: [6, 7, 2], layers: [
        new Conv2d({ filters: 3, kernelSize: 3, padding: 'same', activation: 'relu', name: 'conv_a' }),
        new Conv2d({ filters: 5, kernelSize: [3, 2], stride: 2, padding: 'same', activation: 'sigmoid', name: 'conv_b' }),
        new Dropout({ rate: 0.25, name: 'dropout' }),
        new MaxPool2d({ poolSize: 2, name: 'pool_a' }),
        new Conv2d({ filters: 3, kernelSize: 1, activation: 'relu', name: 'conv_c' }),
        new MaxPool2d({ poolSize: [1, 2], name: 'pool_b' }),
        new Flatten({ name: 'flatten' }),
        new Dense({ units: 5, activation: 'relu', name: 'dense_a' }),
        new Dense({ units: 3, activation: 'softmax', name: 'dense_b' }),
      ] }),
  },
  {
    // The fusions around max-pool's vec4 kernels (channels % 4 == 0, windows that do not overlap):
    // the dropout before pool_a runs inside it, with conv_a's relu gradient; pool_b fuses conv_b's
    // sigmoid gradient.
    name: 'conv (relu), dropout + pool fused, conv (sigmoid), pool with fused gate, dense',
    build: () =>
      new Sequential({ name: 'fused-pool-cnn', input: [7, 9, 2], layers: [
        new Conv2d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu', name: 'conv_a' }),
        new Dropout({ rate: 0.3, name: 'dropout' }),
        new MaxPool2d({ poolSize: 2, name: 'pool_a' }),
        new Conv2d({ filters: 4, kernelSize: 2, padding: 'same', activation: 'sigmoid', name: 'conv_b' }),
        new MaxPool2d({ poolSize: [1, 2], name: 'pool_b' }),
        new Flatten({ name: 'flatten' }),
        new Dense({ units: 3, activation: 'softmax', name: 'dense' }),
      ] }),
  },
  {
    // Channel counts the subgroup conv kernels take (multiples of 4; 16 input channels for the filter gradient).
    name: 'conv 4->16 (relu), conv 16->8 (sigmoid), dense',
    build: () =>
      new Sequential({ name: 'aligned-cnn', input: [5, 6, 4], layers: [
        new Conv2d({ filters: 16, kernelSize: 3, padding: 'same', activation: 'relu', name: 'conv_a' }),
        new Conv2d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'sigmoid', name: 'conv_b' }),
        new Flatten({ name: 'flatten' }),
        new Dense({ units: 3, activation: 'softmax', name: 'dense' }),
      ] }),
  },
  {
    name: 'dense sigmoid -> dense relu -> dense',
    build: () =>
      new Sequential({
        name: 'tiny-mlp',
        input: [13],
        layers: [
          new Dense({ units: 7, activation: 'sigmoid', name: 'dense_a' }),
          new Dense({ units: 6, activation: 'relu', name: 'dense_b' }),
          new Dense({ units: 4, activation: 'softmax', name: 'dense_c' }),
        ],
      }),
  },
];

/** The networks and row counts checked in mixed precision too (it changes only the dense layers). */
const MIXED = new Set(['tiny-mlp 3', 'tiny-cnn 2']);

describe('gradient check through a compiled training step', () => {
  for (const { name, build } of NETWORKS) {
    for (const [rows, mixed] of [[3, false], [2, false], [3, true], [2, true]] as const) {
      if (mixed && !MIXED.has(`${build().name} ${rows}`)) continue;
      it(`${name}, ${rows} of 3 rows active${mixed ? ', mixed_float16' : ''}`, async () => {
        const g = gpu();
        const { seed, next } = testRng();
        const model = build();
        const batch = 3;
        const pixels = model.shapes[0]!.reduce((a, b) => a * b, 1);
        const images = Uint8Array.from({ length: batch * pixels }, () => Math.floor(next() * 256));
        const labels = Uint32Array.from({ length: batch }, () => Math.floor(next() * model.classes));
        const affine = scale01Affine(pixels);
        const data = uploadSplit(g, 'check', { images, labels, count: batch }, pixels);

        const count = model.params.totalElements;
        const buffers = {
          params: storageBuffer(g, 'params', count * 4),
          grads: storageBuffer(g, 'grads', count * 4),
          step: stepUniform(g),
          affine: storageBuffer(g, 'affine', 8 * pixels, affineWords(affine)),
          paramsHalf: mixed ? storageBuffer(g, 'f16 copy', halfCopyBytes(count)) : null,
        };
        const metrics = metricsBuffer(g, model.classes);
        const program = await compile(g, model, buffers, {
          mode: 'train',
          batch,
          data,
          tail: {
            // As the trainer's: the loss kernel also writes the last dense layer's bias gradient.
            fusesBiasGrad: true,
            head(p, logits, y, biasGrad) {
              const grad = p.tensor('loss grad', logits.bytes);
              p.op({
                label: 'loss', reads: [logits, y], writes: [grad],
                build: async (bind) => [
                  await softmaxXentTrain(g, { batch, classes: model.classes }, { logits: bind(logits), labels: bind(y), step: buffers.step, metrics, grad: bind(grad), ...(biasGrad ? { biasGrad } : {}) }),
                ],
              });
              return grad;
            },
          },
        });
        const kernels = program.calls.map((c) => c.label);
        // The loss kernel writes the last dense layer's bias gradient (checked below with the rest).
        if (model.layers.at(-1)?.type === 'dense') expect(kernels.filter((l) => l.endsWith('+ bias grad'))).toHaveLength(1);
        if (model.name === 'fused-pool-cnn') {
          expect(kernels.filter((l) => /^(dropout|relu|sigmoid)/.test(l)), 'no dropout or activation-gradient kernel of their own').toEqual([]);
          expect(kernels.filter((l) => l.includes('+ dropout p=0.3'))).toHaveLength(2);
          expect(kernels.filter((l) => / \+ (relu|sigmoid) grad$/.test(l))).toHaveLength(2);
        }
        if (model.name === 'tiny-cnn') expect(kernels, 'the gradient max-pool cannot fuse runs as its own op').toContain('relu backward');
        if (model.name === 'aligned-cnn' && eightLaneSubgroups(g)) {
          const geometry = conv2dGeometry({ h: 5, w: 6, cin: 16, kh: 3, kw: 3, cout: 8, padding: 'same' });
          for (const pass of ['forward', 'backward_input', 'backward_filter'] as const) {
            expect(conv2dPlan(g, pass, geometry, batch).kind, `conv_b ${pass} takes the subgroup path`).not.toBe('block8x8');
          }
        }
        const x = Float64Array.from(images, (b, i) => Math.fround(b * affine.scale[i % pixels]!));
        // A tiny ReLU network can start dead (every unit of a layer off for the active rows), which
        // makes some gradients exactly zero and the check vacuous there: then draw new weights.
        for (let attempt = 0; ; attempt++) {
          const initSeed = (seed + attempt) >>> 0;
          await initializeParams(g, model, buffers.params, initSeed);
          if (buffers.paramsHalf) submitCalls(g, [await packHalves(g, { count }, { src: buffers.params, dst: buffers.paramsHalf })]);
          const draw = { seed: initSeed, step: 7 };
          writeStepUniform(g, buffers.step, { step: draw.step, batchStart: 0, rows, seed: initSeed });
          resetMetrics(g, metrics);
          submitCalls(g, program.calls);
          const [params, grads, m] = await Promise.all([readF32(g, buffers.params, count), readF32(g, buffers.grads, count), readMetrics(g, metrics)]);

          const p64 = Float64Array.from(params);
          // Mixed precision: the gradients are those at the dense kernels' f16 values (biases stay f32).
          if (mixed) {
            for (const e of model.params.entries) {
              if (model.layers[e.layer]!.type !== 'dense' || e.spec.name !== 'kernel') continue;
              for (let i = e.offset; i < e.offset + e.count; i++) p64[i] = halfToFloat(floatToHalf(params[i]!));
            }
          }
          const loss = (p: Float64Array) => networkLossRef(model, p, x, labels, batch, rows, draw);
          // A ReLU input within float32's noise of 0 may be on one side on the GPU and on the other
          // in float64 (or crossed by the differences' step): the check would compare two different
          // functions there. Such weights are drawn again, like dead ones.
          let margin = Infinity;
          const at = networkLossRef(model, p64, x, labels, batch, rows, draw, (_, z) => z.forEach((v) => (margin = Math.min(margin, Math.abs(v)))));
          expect(m.lossSum / m.rows, `loss, seed ${initSeed}`).toBeCloseTo(at, 5);
          if (margin < KINK_MARGIN && attempt < 8) continue;

          // Central differences; h small enough that a ReLU kink or a pooling switch is rarely crossed,
          // large enough that float64 cancellation stays far below the tolerance.
          const h = 1e-6;
          const checks = model.params.entries.map((e) => {
            const fd = new Float64Array(e.count);
            for (let i = 0; i < e.count; i++) {
              const at = e.offset + i;
              const saved = p64[at]!;
              p64[at] = saved + h;
              const up = loss(p64);
              p64[at] = saved - h;
              const down = loss(p64);
              p64[at] = saved;
              fd[i] = (up - down) / (2 * h);
            }
            return { e, fd, got: grads.subarray(e.offset, e.offset + e.count), scale: Math.max(...fd.map(Math.abs)) };
          });
          const dead = checks.filter((c) => c.scale === 0);
          if (dead.length > 0 && attempt < 8) continue;
          expect(dead.map((c) => `${c.e.layerName}.${c.e.spec.name}`), `all-zero gradients after ${attempt + 1} draws`).toEqual([]);
          for (const { e, fd, got, scale } of checks) {
            const err = Math.max(...fd.map((v, i) => Math.abs(v - got[i]!))) / scale;
            expect(err, `${e.layerName}.${e.spec.name}: relative error vs finite differences, seed ${initSeed}`).toBeLessThan(1e-5);
          }
          break;
        }
        program.release();
        data.release();
        for (const b of [buffers.params, buffers.grads, buffers.step, buffers.affine, metrics.buffer, buffers.paramsHalf]) b?.destroy();
      });
    }
  }
});
