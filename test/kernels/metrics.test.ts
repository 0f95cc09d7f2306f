import { describe, expect, it } from 'vitest';
import { bufferFrom, readBytes, writeBuffer } from '../../src/gpu/buffers';
import { encodeCalls, type KernelCall } from '../../src/gpu/kernel';
import { stepUniform, writeStepUniform } from '../../src/kernels/step';
import { clearMetrics, decodeMetrics, metricsBuffer, readMetrics, resetMetrics, METRICS_HEADER_WORDS } from '../../src/kernels/metrics';
import { softmaxXentEvaluate, softmaxXentTrain } from '../../src/kernels/softmax-xent';
import { expectClose } from '../support/compare';
import { checked, poisoned, useGpu } from '../support/gpu';
import { randomF32, testRng } from '../support/random';
import { confusionRef, softmaxXentRef } from '../oracle/loss';

const gpu = useGpu();

describe('epoch metrics', () => {
  it('decodes the 64-bit fixed-point loss sum and the counts', () => {
    const words = new Uint32Array(METRICS_HEADER_WORDS + 4);
    words.set([2 ** 31, 12_345, 100, 87, 0]);
    words.set([5, 1, 2, 3], METRICS_HEADER_WORDS);
    const m = decodeMetrics(words, 2, true);
    expect(m).toEqual({ rows: 100, lossSum: 12_345.5, meanLoss: 123.455, correct: 87, accuracy: 0.87, invalid: 0, confusion: new Uint32Array([5, 1, 2, 3]) });
    words[4] = 1;
    expect(decodeMetrics(words, 2, false).meanLoss).toBeNaN();
    expect(decodeMetrics(words, 2, false).confusion).toBeUndefined();
  });

  it('sums a 60,000-row epoch exactly: batches of 64 in one command buffer equal one dispatch, bit for bit', async () => {
    const g = gpu();
    const { seed, next } = testRng();
    const [total, batch, classes] = [60_000, 64, 10];
    const steps = Math.ceil(total / batch); // 937 full batches and one of 32 rows
    // The buffers hold whole batches, as a loader's would; the rows past the epoch are padding.
    const logits = randomF32(next, steps * batch * classes, -4, 4);
    const labels = Uint32Array.from({ length: steps * batch }, () => Math.floor(next() * classes));
    const logitsBuf = bufferFrom(g, 'logits', logits);
    const labelsBuf = bufferFrom(g, 'labels', labels);
    const full = stepUniform(g, 'full batch');
    const short = stepUniform(g, 'short batch');
    const whole = stepUniform(g, 'whole epoch');
    writeStepUniform(g, full, { batchStart: 0, seed: 0, step: 0, rows: batch });
    writeStepUniform(g, short, { batchStart: 0, seed: 0, step: 0, rows: total - (steps - 1) * batch });
    writeStepUniform(g, whole, { batchStart: 0, seed: 0, step: 0, rows: total });
    const batched = metricsBuffer(g, classes, { confusion: true, label: 'batched' });
    const single = metricsBuffer(g, classes, { confusion: true, label: 'single' });
    // Stale values, which the clear recorded ahead of the epoch must wipe.
    writeBuffer(g, batched.buffer, new Uint32Array(batched.buffer.size / 4).fill(0xdeadbeef));
    const grad = poisoned(g, batch * classes);

    const shape = { batch, classes };
    const calls: KernelCall[] = [];
    for (let s = 0; s < steps; s++) {
      calls.push(await softmaxXentTrain(g, shape, {
        logits: { buffer: logitsBuf, offset: s * batch * classes * 4, size: batch * classes * 4 },
        labels: { buffer: labelsBuf, offset: s * batch * 4, size: batch * 4 },
        step: s === steps - 1 ? short : full,
        metrics: batched,
        grad,
      }));
    }
    const oneCall = await softmaxXentEvaluate(g, { batch: total, classes }, {
      logits: logitsBuf, labels: labelsBuf, step: whole, metrics: single, probs: poisoned(g, total * classes),
    });
    resetMetrics(g, single);
    await checked(g, async () => {
      const encoder = g.device.createCommandEncoder();
      clearMetrics(encoder, batched);
      const pass = encoder.beginComputePass();
      encodeCalls(pass, [...calls, oneCall]);
      pass.end();
      g.device.queue.submit([encoder.finish()]);
    });

    // Integer accumulation is order-independent: 938 dispatches and one give the same words.
    const words = new Uint32Array(await readBytes(g, batched.buffer));
    expect(words).toEqual(new Uint32Array(await readBytes(g, single.buffer)));

    const want = softmaxXentRef(logits, labels, total, classes);
    const got = await readMetrics(g, batched);
    expect(got.rows).toBe(total);
    expect(got.invalid).toBe(0);
    expectClose([got.lossSum], [want.lossSum], `loss sum, seed ${seed}`, 1e-6);
    expect(got.correct).toBe(want.correct);
    expect(got.confusion).toEqual(confusionRef(labels, want.predicted, classes));
  });
});
