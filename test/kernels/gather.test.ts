import { describe, expect, it } from 'vitest';
import { readF32, readU32, storageBuffer, writeBuffer } from '../../src/gpu/buffers';
import { submitCalls } from '../../src/gpu/kernel';
import { affineWords, uploadSplit } from '../../src/data/gpu-dataset';
import { gatherBatch } from '../../src/kernels/gather';
import { stepUniform, writeStepUniform } from '../../src/kernels/step';
import { expectClose } from '../support/compare';
import { checked, poisoned, useGpu } from '../support/gpu';
import { randomF32, testRng } from '../support/random';

const gpu = useGpu();

/**
 * Batches gathered on the GPU from a byte or float dataset: shuffled rows, the per-pixel affine,
 * labels, and the short last batch (rows past the data repeat its last real row). 28x28 pixels run
 * the vec4 entry point; 7x5 (35, odd) the scalar one.
 */
describe('gather batch', () => {
  for (const [pixels, float] of [[784, false], [35, false], [784, true], [35, true]] as const) {
    const entry = pixels % 4 === 0 ? 'main_vec4' : 'main';
    it(`${pixels} ${float ? 'float' : 'byte'} pixels (${entry}): a full batch from the middle of a shuffled order, then the short last one`, async () => {
      const g = gpu();
      const { seed, next } = testRng();
      const count = 23; // odd: the last word of bytes is partial
      const batch = 9;
      const images = float ? randomF32(next, count * pixels, -3, 3) : Uint8Array.from({ length: count * pixels }, () => Math.floor(next() * 256));
      const labels = Uint32Array.from({ length: count }, () => Math.floor(next() * 300)); // more than 256 classes
      const affine = { scale: randomF32(next, pixels, 0.001, 0.01), shift: randomF32(next, pixels) };
      const split = uploadSplit(g, 'test', { images, labels, count }, pixels);
      const affineBuffer = storageBuffer(g, 'affine', 8 * pixels, affineWords(affine));
      const order = Uint32Array.from({ length: count }, (_, i) => i);
      for (let i = count - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
      writeBuffer(g, split.order, order);

      const step = stepUniform(g);
      const x = poisoned(g, batch * pixels);
      const y = storageBuffer(g, 'y', batch * 4, new Uint32Array(batch).fill(0xdeadbeef));
      const call = await gatherBatch(g, { batch, pixels, floatPixels: float }, { images: split.images, labels: split.labels, order: split.order, affine: affineBuffer, x, y, step });
      expect(call.pipeline.label.startsWith(`gather:${entry}:`), call.pipeline.label).toBe(true);

      for (const batchStart of [9, 18]) {
        const rows = Math.min(batch, count - batchStart);
        writeStepUniform(g, step, { step: 0, batchStart, rows, seed: 0 });
        const [gotX, gotY] = await checked(g, async () => {
          submitCalls(g, [call]);
          return [await readF32(g, x), await readU32(g, y)] as const;
        });
        const wantX = new Float64Array(batch * pixels);
        const wantY = new Uint32Array(batch);
        for (let r = 0; r < batch; r++) {
          const example = order[batchStart + Math.min(r, rows - 1)]!;
          wantY[r] = labels[example]!;
          for (let p = 0; p < pixels; p++) wantX[r * pixels + p] = images[example * pixels + p]! * affine.scale[p]! + affine.shift[p]!;
        }
        expectClose(gotX, wantX, `x from row ${batchStart}, seed ${seed}`);
        expect([...gotY], `labels from row ${batchStart}, seed ${seed}`).toEqual([...wantY]);
      }
      split.release();
      affineBuffer.destroy();
    });
  }
});
