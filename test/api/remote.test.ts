/**
 * Training through RemoteGpu (the Web Worker API) gives what training in-process gives: the same
 * weights bit for bit, the same callbacks, an AbortSignal that stops it inside an epoch, a
 * checkpoint from inside onEpochEnd, an exact resume, typed errors that cross the boundary as
 * their own class, and evaluate / predict / save / profile results equal to the in-process ones.
 * Node has no Web Workers with WebGPU, so the worker's side runs behind a MessageChannel on this
 * thread (RemoteGpu.inProcess): the same messages, structured-cloned, as a worker gets; the
 * browser end-to-end test runs it in a real worker.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createDataset, DataError, GpuError, loadCheckpoint, loadModel, RemoteGpu, UsageError,
  type BatchProgress, type EpochRecord, type History,
} from '../../src/index';
import { useGpu } from '../support/gpu';
import { expectRejects, sameBits, squareArrays, tinyCnn } from './fixtures';

const gpu = useGpu();
const ARRAYS = squareArrays(256, 96, 3);
const DATA = { preprocessing: 'standardize', validationSplit: 0.25 } as const;
const FIT = { epochs: 3, batchSize: 16, optimizer: 'adam', lr: 0.01, seed: 11 } as const;

let remote: RemoteGpu;
beforeAll(async () => {
  remote = await RemoteGpu.inProcess();
});
afterAll(() => remote?.release());

/** The same run in-process: final weights, history and the test evaluation. */
async function localRun(fit: Omit<typeof FIT, 'batchSize'> & { batchSize: number } = FIT): Promise<{ weights: Float32Array; history: History }> {
  const model = await tinyCnn('remote', { dropout: 0.25 }).compile(gpu(), { seed: 5 });
  try {
    const history = await model.fit(createDataset(ARRAYS, DATA), { ...fit });
    return { weights: await model.getWeights(), history };
  } finally {
    model.release();
  }
}

describe('RemoteGpu', () => {
  it('names the device, and fit gives the in-process weights bit for bit, with the same callbacks', async () => {
    expect(remote.description).toMatch(/features:/);
    expect(remote.adapterInfo.vendor.length + remote.adapterInfo.description.length).toBeGreaterThan(0);
    const data = await remote.createDataset(ARRAYS, DATA);
    expect(data.shape).toEqual([8, 8, 3]);
    expect(data.counts).toEqual({ train: 192, validation: 64, test: 96 });
    const model = await remote.compile(tinyCnn('remote', { dropout: 0.25 }), { seed: 5 });
    expect(model.summary()).toContain('Total params');
    const begun: number[] = [];
    const batches: BatchProgress[] = [];
    const checkpoints: number[] = [];
    const ended: EpochRecord[] = [];
    const history = await model.fit(data, {
      ...FIT,
      callbacks: {
        onEpochBegin: (epoch, info) => begun.push(epoch * 1000 + info.steps),
        onBatchEnd: (p) => batches.push(p),
        // Awaited across the boundary: the worker waits, so the checkpoint is of this very epoch.
        onEpochEnd: async (record, logs) => {
          ended.push(record);
          expect(logs.history.at(-1)).toEqual(record);
          const c = loadCheckpoint(await model.checkpoint(), 'from onEpochEnd');
          checkpoints.push(c.epoch);
        },
      },
    });
    expect(begun).toEqual([1012, 2012, 3012]);
    expect(batches.length).toBeGreaterThanOrEqual(3);
    expect(batches.at(-1)).toMatchObject({ epoch: 3, step: 12, steps: 12 });
    expect(checkpoints).toEqual([1, 2, 3]);
    expect(history.epochs).toEqual(ended);
    const local = await localRun();
    expect(history.history).toEqual(local.history.history);
    expect(sameBits(await model.getWeights(), local.weights), 'the remote run\'s weights equal the in-process run\'s').toBe(true);

    // evaluate, predict and save agree with the same weights in-process.
    const evaluation = await model.evaluate(data, { probabilities: true });
    const saved = await model.save({ note: 'remote' });
    const loaded = await loadModel(saved, 'remote.safetensors').compile(gpu());
    try {
      const here = await loaded.evaluate(createDataset(ARRAYS, DATA), { probabilities: true });
      expect(evaluation.confusion).toEqual(here.confusion);
      expect(sameBits(evaluation.probabilities!, here.probabilities!)).toBe(true);
      const images = ARRAYS.test!.images.subarray(0, 5 * 192);
      expect(sameBits(await model.predict(images), await loaded.predict(images))).toBe(true);
    } finally {
      loaded.release();
    }
    model.release();
    data.release();
  });

  it('an AbortSignal stops fit inside an epoch; its checkpoint resumes to the uninterrupted weights', async () => {
    const data = await remote.createDataset(ARRAYS, DATA);
    const model = await remote.compile(tinyCnn('remote', { dropout: 0.25 }), { seed: 5 });
    // Batches of 4: 48 steps an epoch, so the abort arrives well inside the epoch.
    const fit = { ...FIT, batchSize: 4 } as const;
    const abort = new AbortController();
    const first = await model.fit(data, {
      ...fit,
      signal: abort.signal,
      callbacks: { onBatchEnd: (p) => p.epoch === 2 && p.step >= 4 && abort.abort() },
    });
    expect(first.stopped).toBe('interrupted');
    expect(first.epochs).toHaveLength(1);
    const checkpoint = loadCheckpoint(await model.checkpoint(), 'the interrupted run');
    expect(checkpoint.state.epochProgress?.step).toBeGreaterThan(0);
    model.release();

    const resumed = await remote.compile(checkpoint.model);
    const rest = await resumed.fit(data, { ...checkpoint.fit, history: checkpoint.history, resume: checkpoint.state });
    expect(rest.stopped).toBeUndefined();
    const local = await localRun(fit);
    expect(rest.history).toEqual(local.history.history);
    expect(sameBits(await resumed.getWeights(), local.weights), 'resumed weights equal an uninterrupted run\'s').toBe(true);
    resumed.release();
    data.release();
  });

  it('errors cross as their own class with their hint: bad settings, bad data, a failing callback, a released model', async () => {
    await expectRejects(remote.createDataset({ ...ARRAYS, shape: [8, 8, 2] }), DataError, /49152 image values for 256 labels/);
    const data = await remote.createDataset(ARRAYS, DATA);
    const model = await remote.compile(tinyCnn('remote'), { seed: 1 });
    let error: unknown;
    try {
      await model.fit(data, { ...FIT, batchSize: -3 });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toMatch(/batchSize \(-3\)/);
    await expect(model.fit(data, { ...FIT, epochs: 2, callbacks: { onEpochEnd: () => { throw new DataError('the page refused the epoch', 'do something else'); } } }))
      .rejects.toThrow(/the page refused the epoch\n {2}do something else/);
    model.release();
    await expectRejects(model.predict(new Uint8Array(192)), UsageError, /not in the worker/);
    data.release();
  });

  it('profiles a training step in the worker, reporting its stages', async () => {
    const stages: string[] = [];
    const profile = await remote.profileTrainingStep(tinyCnn('remote'), ARRAYS, { batchSize: 16, optimizer: 'sgd', lr: 0.05, seed: 1, preprocessing: 'scale01' }, (s) => stages.push(s));
    expect(stages.length).toBeGreaterThan(0);
    expect(profile.profile.rows.length).toBeGreaterThan(5);
    expect(profile.trainStepMs).toBeGreaterThan(0);
  });

  it("reports the worker's kernel tuning: its mode, its store and the choice of each kernel built there", async () => {
    const model = await remote.compile(tinyCnn('tuning'), { seed: 1 });
    try {
      // Kernels are built (and choose their variants) when first used: here, evaluate's.
      const data = await remote.createDataset(ARRAYS, DATA);
      await model.evaluate(data);
      data.release();
      const tuning = await remote.tuning();
      // The Node tests run with WGML_TUNE=off (vitest.config.ts), and Node has no browser store.
      expect(tuning).toMatchObject({ mode: 'off', store: null, ms: 0 });
      expect(tuning.choices.length).toBeGreaterThan(0);
      for (const c of tuning.choices) expect(['default', 'small'], `${c.family} ${c.shape}`).toContain(c.source);
      expect(tuning.choices.some((c) => c.family.startsWith('conv2d'))).toBe(true);
    } finally {
      model.release();
    }
  });

  it('a worker that fails (its script missing, or throwing) fails the calls waiting on it with a GpuError', async () => {
    const events = new EventTarget();
    const broken = {
      // The worker's script never runs: the first message is answered by an error event.
      postMessage: () => events.dispatchEvent(Object.assign(new Event('error'), { message: 'Failed to load worker script' })),
      addEventListener: events.addEventListener.bind(events) as never,
      removeEventListener: events.removeEventListener.bind(events) as never,
    };
    await expectRejects(RemoteGpu.connect(broken), GpuError, /The training worker failed: Failed to load worker script\./);
  });

  it('after release, every call rejects with a GpuError', async () => {
    const other = await RemoteGpu.inProcess();
    other.release();
    expect(other.released).toBe(true);
    await expectRejects(other.createDataset(ARRAYS), GpuError, /released/);
  });
});
