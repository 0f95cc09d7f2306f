import { describe, expect, it } from 'vitest';
import { bufferFrom, readF32, storageBuffer, writeBuffer } from '../../src/gpu/buffers';
import { submitCalls } from '../../src/gpu/kernel';
import { stepUniform, writeStepUniform } from '../../src/kernels/step';
import { metricsBuffer, readMetrics } from '../../src/kernels/metrics';
import { softmaxPredict, softmaxXentEvaluate, softmaxXentTrain } from '../../src/kernels/softmax-xent';
import { sumRows } from '../../src/kernels/reduce';
import { expectClose } from '../support/compare';
import { checked, poisoned, useGpu } from '../support/gpu';
import { randomF32, testRng } from '../support/random';
import { confusionRef, softmaxRef, softmaxXentRef } from '../oracle/loss';

const gpu = useGpu();

function randomLabels(next: () => number, count: number, classes: number): Uint32Array {
  return Uint32Array.from({ length: count }, () => Math.floor(next() * classes));
}

describe('softmax cross-entropy', () => {
  for (const batch of [3, 7, 64]) {
    for (const classes of [10, 13]) {
      for (const scale of [4, 80]) {
        it(`train and evaluate ${batch}x${classes}, logits in ±${scale}`, async () => {
          const g = gpu();
          const { seed, next } = testRng();
          const logits = randomF32(next, batch * classes, -scale, scale);
          const labels = randomLabels(next, batch, classes);
          const want = softmaxXentRef(logits, labels, batch, classes);
          const wantConfusion = confusionRef(labels, want.predicted, classes);

          const io = { logits: bufferFrom(g, 'logits', logits), labels: bufferFrom(g, 'labels', labels), step: stepUniform(g) };
          writeStepUniform(g, io.step, { batchStart: 0, seed: 0, step: 0, rows: batch });
          const shape = { batch, classes };
          const trainMetrics = metricsBuffer(g, classes, { confusion: true });
          const evalMetrics = metricsBuffer(g, classes, { confusion: true });
          const grad = poisoned(g, batch * classes);
          const probs = poisoned(g, batch * classes);
          await checked(g, async () => {
            const calls = await Promise.all([
              softmaxXentTrain(g, shape, { ...io, metrics: trainMetrics, grad }),
              softmaxXentEvaluate(g, shape, { ...io, metrics: evalMetrics, probs }),
            ]);
            submitCalls(g, calls);
          });

          expectClose(await readF32(g, grad), want.grad, `gradient, seed ${seed}`);
          expectClose(await readF32(g, probs), want.probs, `probabilities, seed ${seed}`);
          for (const metrics of [trainMetrics, evalMetrics]) {
            const got = await readMetrics(g, metrics);
            expectClose([got.lossSum], [want.lossSum], `loss sum, seed ${seed}`);
            expect(got.rows).toBe(batch);
            expect(got.invalid).toBe(0);
            expect(got.correct, `seed ${seed}`).toBe(want.correct);
            expect(got.confusion, `seed ${seed}`).toEqual(wantConfusion);
          }
        });
      }
    }
  }

  // The bias gradient of the logits' dense layer in the same dispatch: one workgroup of 64 lanes, so
  // batches below, at and past it (and past sum_rows' 256-row chunk), classes past the lane count,
  // short batches and an out-of-range label.
  for (const [batch, classes, rows] of [[1, 10, 1], [37, 7, 37], [64, 10, 41], [300, 13, 300], [513, 130, 500]] as const) {
    it(`train with the bias gradient fused, ${batch}x${classes}, ${rows} rows active: the unfused gradient, sumRows' bits`, async () => {
      const g = gpu();
      const { seed, next } = testRng();
      const logits = randomF32(next, batch * classes, -6, 6);
      const labels = randomLabels(next, batch, classes);
      if (batch > 2) labels[1] = classes + 3; // ignored: a zero gradient row, counted invalid
      const io = { logits: bufferFrom(g, 'logits', logits), labels: bufferFrom(g, 'labels', labels), step: stepUniform(g) };
      writeStepUniform(g, io.step, { batchStart: 0, seed: 0, step: 0, rows });
      const shape = { batch, classes };
      const [fusedGrad, plainGrad] = [poisoned(g, batch * classes), poisoned(g, batch * classes)];
      const [fusedBias, summedBias] = [poisoned(g, classes), poisoned(g, classes)];
      const [fusedMetrics, plainMetrics] = [metricsBuffer(g, classes, { confusion: true }), metricsBuffer(g, classes, { confusion: true })];
      await checked(g, async () => {
        const calls = [
          await softmaxXentTrain(g, shape, { ...io, metrics: fusedMetrics, grad: fusedGrad, biasGrad: fusedBias }),
          await softmaxXentTrain(g, shape, { ...io, metrics: plainMetrics, grad: plainGrad }),
          ...(await sumRows(g, { rows: batch, cols: classes }, { x: plainGrad, out: summedBias })),
        ];
        expect(calls[0]!.label).toContain('+ bias grad');
        submitCalls(g, calls);
      });
      const grad = await readF32(g, fusedGrad);
      expect(grad, `gradient, seed ${seed}`).toEqual(await readF32(g, plainGrad));
      expectClose(grad, softmaxXentRef(logits, labels, batch, classes, rows).grad.map((v, i) => (labels[Math.floor(i / classes)]! >= classes ? 0 : v)), `gradient, seed ${seed}`);
      const bias = await readF32(g, fusedBias);
      expect(bias, `bias gradient against sumRows, seed ${seed}`).toEqual(await readF32(g, summedBias));
      const want = Float64Array.from({ length: classes }, (_, c) => grad.reduce((sum, v, i) => (i % classes === c ? sum + v : sum), 0));
      expectClose(bias, want, `bias gradient against float64 sums, seed ${seed}`);
      expect(await readMetrics(g, fusedMetrics)).toEqual(await readMetrics(g, plainMetrics));
    });
  }

  it('accumulates over steps with a short last batch, on one pipeline', async () => {
    const g = gpu();
    const { seed, next } = testRng();
    const [batch, classes] = [64, 10];
    const rowsPerStep = [64, 64, 64, 64, 23];
    const shape = { batch, classes };
    const logitsBuf = storageBuffer(g, 'logits', batch * classes * 4);
    const labelsBuf = storageBuffer(g, 'labels', batch * 4);
    const step = stepUniform(g);
    const metrics = metricsBuffer(g, classes, { confusion: true });
    const grad = poisoned(g, batch * classes);
    // One call, built once: only the step uniform changes between steps, the short batch included.
    const call = await softmaxXentTrain(g, shape, { logits: logitsBuf, labels: labelsBuf, step, metrics, grad });

    let lossSum = 0;
    let correct = 0;
    const confusion = new Uint32Array(classes * classes);
    let last = softmaxXentRef([], [], 0, classes);
    for (const [i, rows] of rowsPerStep.entries()) {
      const logits = randomF32(next, batch * classes, -8, 8);
      const labels = randomLabels(next, batch, classes);
      writeBuffer(g, logitsBuf, logits);
      writeBuffer(g, labelsBuf, labels);
      writeStepUniform(g, step, { batchStart: 0, seed: 1, step: i, rows });
      await checked(g, async () => submitCalls(g, [call]));
      last = softmaxXentRef(logits, labels, batch, classes, rows);
      lossSum += last.lossSum;
      correct += last.correct;
      confusionRef(labels, last.predicted, classes, confusion);
    }

    // The short batch: its mean is over its 23 rows, and rows 23..63 get a zero gradient.
    expectClose(await readF32(g, grad), last.grad, `last gradient, seed ${seed}`);
    const got = await readMetrics(g, metrics);
    expect(got.rows).toBe(4 * 64 + 23);
    expectClose([got.lossSum], [lossSum], `loss sum, seed ${seed}`);
    expectClose([got.meanLoss], [lossSum / got.rows], `mean loss, seed ${seed}`);
    expect(got.correct).toBe(correct);
    expect(got.accuracy).toBe(correct / got.rows);
    expect(got.confusion).toEqual(confusion);
  });

  it('breaks argmax ties towards the first maximum', async () => {
    const g = gpu();
    const classes = 4;
    // Rows: max shared by columns 1 and 3; all equal; max shared by 0 and 2; a clear max at 3.
    const logits = new Float32Array([0, 5, -1, 5, 2, 2, 2, 2, 7, 1, 7, 0, 0, 1, 2, 3]);
    const labels = new Uint32Array([1, 0, 2, 3]); // right, right, wrong (predicts 0), right
    const batch = labels.length;
    const step = stepUniform(g);
    writeStepUniform(g, step, { batchStart: 0, seed: 0, step: 0, rows: batch });
    const metrics = metricsBuffer(g, classes, { confusion: true });
    const call = await softmaxXentEvaluate(g, { batch, classes }, {
      logits: bufferFrom(g, 'logits', logits), labels: bufferFrom(g, 'labels', labels), step, metrics, probs: poisoned(g, batch * classes),
    });
    await checked(g, async () => submitCalls(g, [call]));
    const got = await readMetrics(g, metrics);
    expect(got.correct).toBe(3);
    expect(got.confusion).toEqual(confusionRef(labels, [1, 0, 0, 3], classes));
  });

  it('counts rows with an out-of-range label or a NaN loss as invalid', async () => {
    const g = gpu();
    const { seed, next } = testRng();
    const [batch, classes] = [7, 10];
    const logits = randomF32(next, batch * classes, -3, 3);
    logits[2 * classes] = Number.NaN; // row 2 has diverged
    const labels = randomLabels(next, batch, classes);
    labels[4] = classes; // row 4: no such class
    const step = stepUniform(g);
    writeStepUniform(g, step, { batchStart: 0, seed: 0, step: 0, rows: batch });
    const metrics = metricsBuffer(g, classes, { confusion: true });
    const grad = poisoned(g, batch * classes);
    const call = await softmaxXentTrain(g, { batch, classes }, {
      logits: bufferFrom(g, 'logits', logits), labels: bufferFrom(g, 'labels', labels), step, metrics, grad,
    });
    await checked(g, async () => submitCalls(g, [call]));

    const valid = [0, 1, 3, 5, 6];
    const want = softmaxXentRef(logits, labels, batch, classes);
    const got = await readMetrics(g, metrics);
    expect(got.rows).toBe(batch);
    expect(got.invalid).toBe(2);
    expect(got.meanLoss).toBeNaN();
    expectClose([got.lossSum], [valid.reduce((s, r) => s + want.loss[r]!, 0)], `loss sum of the valid rows, seed ${seed}`);
    expect(got.correct).toBe(valid.filter((r) => want.predicted[r] === labels[r]).length);
    expect(got.confusion!.reduce((a, b) => a + b, 0)).toBe(valid.length);
    const g4 = (await readF32(g, grad)).subarray(4 * classes, 5 * classes);
    expect([...g4], 'no gradient for an out-of-range label').toEqual(new Array(classes).fill(0));
  });

  it('predict writes probabilities of the active rows only', async () => {
    const g = gpu();
    const { seed, next } = testRng();
    const [batch, classes, rows] = [64, 13, 37];
    const logits = randomF32(next, batch * classes, -80, 80);
    const step = stepUniform(g);
    writeStepUniform(g, step, { batchStart: 0, seed: 0, step: 0, rows });
    const probs = poisoned(g, batch * classes);
    const call = await softmaxPredict(g, { batch, classes }, { logits: bufferFrom(g, 'logits', logits), step, probs });
    await checked(g, async () => submitCalls(g, [call]));
    const got = await readF32(g, probs);
    expectClose(got.subarray(0, rows * classes), softmaxRef(logits, rows, classes), `probabilities, seed ${seed}`);
    expect(got.subarray(rows * classes).every(Number.isNaN), 'rows past the active ones untouched').toBe(true);
  });
});
