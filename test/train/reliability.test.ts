/**
 * Faults at run time and malformed files: a diverging run stops with a message naming the step; a
 * long run's GPU memory stays flat; checkpoint and weights readers answer any bytes with a DataError.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { createDataset } from '../../src/data/dataset';
import type { FashionMnist } from '../../src/data/fashion-mnist';
import { loadFashionMnistFromDisk } from '../../src/data/locate-node';
import { DataError, ShapeError } from '../../src/errors';
import { Dense } from '../../src/layers/dense';
import { loadCheckpoint, loadModel } from '../../src/models/load';
import { seedModel } from '../../src/models/seed-models';
import { Sequential } from '../../src/models/sequential';
import { encodeCheckpoint, type Checkpoint } from '../../src/train/checkpoint';
import { encodeWeights } from '../../src/train/weights';
import { useGpu } from '../support/gpu';
import { createTrainer } from '../support/training';

const gpu = useGpu();
let data: FashionMnist;
beforeAll(async () => {
  data = await loadFashionMnistFromDisk();
});

describe('run-time faults', () => {
  it('an absurd learning rate stops training with a message naming the step and the fix', { timeout: 600_000 }, () => {
    const out = `/tmp/wgml-nan-${process.pid}`;
    const r = spawnSync('npx', ['vite-node', 'src/cli/main.ts', 'train', '--model', 'mlp', '--lr', '1e6', '--limit', '4096', '--test-limit', '500', '--epochs', '2', '--out', out], { encoding: 'utf8', timeout: 300_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/NaN or infinite by step \d+ \(epoch 1\)|loss became NaN in epoch 1/);
    expect(r.stderr).toMatch(/Lower the learning rate/);
    expect(existsSync(out), 'the results folder the run made, left empty, is removed').toBe(false);
  });

  it('2,000 training steps create no pipeline, bind group or buffer, and leave GPU memory as after the first step', async () => {
    const g = gpu();
    const live = new Map<GPUBuffer, number>();
    const created = { buffers: 0, bindGroups: 0, pipelines: 0 };
    const device = g.device;
    const original = { createBuffer: device.createBuffer, createBindGroup: device.createBindGroup, createComputePipeline: device.createComputePipeline, createComputePipelineAsync: device.createComputePipelineAsync };
    device.createBuffer = (descriptor: GPUBufferDescriptor) => {
      created.buffers++;
      const buffer = original.createBuffer.call(device, descriptor);
      live.set(buffer, descriptor.size);
      const destroy = buffer.destroy.bind(buffer);
      buffer.destroy = () => {
        live.delete(buffer);
        destroy();
      };
      return buffer;
    };
    device.createBindGroup = (d: GPUBindGroupDescriptor) => (created.bindGroups++, original.createBindGroup.call(device, d));
    device.createComputePipeline = (d: GPUComputePipelineDescriptor) => (created.pipelines++, original.createComputePipeline.call(device, d));
    device.createComputePipelineAsync = (d: GPUComputePipelineDescriptor) => (created.pipelines++, original.createComputePipelineAsync.call(device, d));

    const seed = seedModel('one-hidden');
    // 2,000 steps of 32: four epochs of 16,000 images (500 steps each).
    const run = await createTrainer(g, seed.build(), data, { ...seed.fit, ...seed.data, seed: 1, trainLimit: 16_000, testLimit: 500 });
    const trainer = run.trainer;
    const snapshot = () => ({ count: live.size, bytes: [...live.values()].reduce((a, b) => a + b, 0) });
    await trainer.trainEpoch(1, () => {});
    const after1 = snapshot();
    const before = { ...created };
    for (let e = 2; e <= 4; e++) await trainer.trainEpoch(e, () => {});
    // Not even a staging buffer per epoch: the epoch's metrics come from its last group's fence.
    expect(created).toEqual({ buffers: before.buffers, bindGroups: before.bindGroups, pipelines: before.pipelines });
    expect(snapshot()).toEqual(after1);
    run.release();
    Object.assign(device, original);
  }, 600_000); // 2,000 submits: ~20 s on a quiet machine, minutes on a shared one
});

describe('the adapter', () => {
  it('a model that does not fit the data is refused before anything is allocated', async () => {
    const seed = seedModel('one-hidden');
    const dataset = createDataset(data, { ...seed.data, trainLimit: 512, testLimit: 100 });
    const options = { ...seed.fit, epochs: 1, seed: 1 };
    const flat100 = await new Sequential({ name: 'flat100', input: [100], layers: [new Dense({ units: 10, activation: 'softmax' })] }).compile(gpu());
    const five = await new Sequential({ name: 'five', input: [784], layers: [new Dense({ units: 5, activation: 'softmax' })] }).compile(gpu());
    const device = gpu().device;
    const createBuffer = device.createBuffer;
    let buffers = 0;
    device.createBuffer = (descriptor: GPUBufferDescriptor) => (buffers++, createBuffer.call(device, descriptor));
    try {
      await expect(flat100.fit(dataset, options)).rejects.toThrow(ShapeError);
      await expect(flat100.fit(dataset, options)).rejects.toThrow(/flat100 takes input \(None, 100\) \(100 values\)[^]*\(None, 28, 28, 1\) \(784 values\)/);
      await expect(five.fit(dataset, options)).rejects.toThrow(/predicts 5 classes[^]*10 classes/);
      expect(buffers, 'buffers created by the refused fits').toBe(0);
      expect(flat100.trainingStep, 'no training step was built').toBeNull();
      expect(five.trainingStep, 'no training step was built').toBeNull();
    } finally {
      device.createBuffer = createBuffer;
      flat100.release();
      five.release();
    }
  });

  it('a lost device ends the epoch with a GpuError that says so', async () => {
    const { requestGpu } = await import('../../src/gpu/device');
    const own = await requestGpu();
    const seed = seedModel('one-hidden');
    const run = await createTrainer(own, seed.build(), data, { ...seed.fit, ...seed.data, seed: 1, trainLimit: 4096, testLimit: 500 });
    const trainer = run.trainer;
    let lost = false;
    const epoch = trainer.trainEpoch(1, (p) => {
      if (!lost && p.step >= 16) {
        lost = true;
        own.device.destroy(); // what a driver reset looks like to WebGPU
      }
    });
    await expect(epoch).rejects.toThrow(/device was lost during training step \d+ \(epoch 1\)/);
    run.release();
    own.release();
  });

  it('a GPU error inside a training step is caught by its group\'s error scope and names the steps', async () => {
    const seed = seedModel('one-hidden');
    const run = await createTrainer(gpu(), seed.build(), data, { ...seed.fit, ...seed.data, seed: 1, trainLimit: 4096, testLimit: 500 });
    const trainer = run.trainer;
    let broken = 0;
    const epoch = trainer.trainEpoch(1, (p) => {
      if (broken === 0 && p.step >= 16) {
        broken = p.step;
        trainer.trainProgram.release(); // its buffers are destroyed: the next submit is invalid
      }
    });
    const error = await epoch.then(() => null, (e: Error) => e);
    // Caught by the scope of the group of 8 steps recorded together (so useGpu()'s uncaptured-error
    // check stays quiet), naming the group's steps, the first bad one first.
    expect(error?.message).toMatch(new RegExp(`GPU reported (an error|\\d+ errors) in training steps ${broken + 1}-${broken + 8} \\(epoch 1\\): .*destroyed`, 'i'));
    run.release();
  });

  it('scoped operations name themselves in GPU errors, and out-of-memory errors say what to do', async () => {
    const g = gpu();
    g.scoped('making a mappable storage buffer', () => g.device.createBuffer({ size: 64, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.STORAGE }));
    await expect(g.settle('the test')).rejects.toThrow(/an error in making a mappable storage buffer: /);
    await g.settle('nothing'); // reported once, then cleared

    // No adapter here runs out of memory on demand, so the out-of-memory scope's verdict is faked.
    const pop = g.device.popErrorScope;
    let pops = 0;
    const fake = { message: 'Out of memory allocating 4 GiB' } as GPUError;
    g.device.popErrorScope = () => pop.call(g.device).then((real) => (++pops === 2 ? fake : real));
    g.scoped('allocating the cnn training buffers', () => {});
    g.device.popErrorScope = pop;
    await expect(g.settle('the test')).rejects.toThrow(/in allocating the cnn training buffers: Out of memory.*\n.*smaller --batch-size/);
  });

  it('a model whose buffers exceed the adapter limit is refused before anything is allocated, naming the limit', async () => {
    const seed = seedModel('cnn');
    const huge = Math.ceil(gpu().limits.maxStorageBufferBindingSize / (28 * 28 * 64 * 4)) + 1;
    const small = { ...data, train: { ...data.train } };
    await expect(createTrainer(gpu(), seed.build(), small, { ...seed.fit, ...seed.data, batchSize: huge, seed: 1 })).rejects.toThrow(/maxStorageBufferBindingSize/);
  });
});

describe('malformed weights and checkpoints', () => {
  const model = seedModel('one-hidden').build();
  // Values in every tensor; the alignment padding between tensors stays zero, as on the GPU.
  const params = new Float32Array(model.params.totalElements);
  for (const e of model.params.entries) for (let i = 0; i < e.count; i++) params[e.offset + i] = Math.sin(e.offset + i);
  const affine = { scale: new Float32Array(784).fill(1 / 255), shift: new Float32Array(784) };
  const weights = encodeWeights(model, params, affine);
  const run: Pick<Checkpoint, 'fit' | 'data' | 'history' | 'affine'> = {
    fit: { epochs: 5, batchSize: 32, lr: 0.03, optimizer: 'sgd', seed: 1, patience: null },
    data: { preprocessing: 'scale01', validationSplit: 0 },
    // A checkpoint after epoch 2 holds the records of epochs 1 and 2.
    history: [1, 2].map((epoch) => ({ epoch, loss: 0.5 / epoch, accuracy: 0.8, valLoss: 0.6, valAccuracy: 0.79, seconds: 3, imagesPerSecond: 20000 })),
    affine,
  };
  const checkpoint = encodeCheckpoint(model, { ...run, epoch: 2, state: { params, optimizer: {}, globalStep: 3750, updates: 3750 } });

  /** A safetensors file's header, the JSON after its 8-byte length. */
  const headerOf = (bytes: Uint8Array) => new TextDecoder().decode(bytes.subarray(8, 8 + Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true))));
  /** `bytes` with its header replaced by `header`, which must be as long (so the tensors stay where they are). */
  const withHeader = (bytes: Uint8Array, header: string) => {
    const encoded = new TextEncoder().encode(header);
    expect(encoded.length, 'a same-length edit').toBe(headerOf(bytes).length);
    const edited = new Uint8Array(bytes);
    edited.set(encoded, 8);
    return edited;
  };
  /**
   * `header` with the first `from` in the run state replaced by `to`. The run state is JSON inside
   * the header's JSON (hence the escaped quotes in `from`); it comes after the architecture, whose
   * training defaults hold some of the same text.
   */
  const inState = (header: string, from: string, to: string) => {
    const state = header.indexOf('"state":"');
    expect(state, 'the header has a run state').toBeGreaterThan(0);
    const at = header.indexOf(from, state);
    expect(at, `${from} in the run state`).toBeGreaterThan(state);
    return header.slice(0, at) + to + header.slice(at + from.length);
  };

  it('round-trips', async () => {
    expect(await loadModel(weights, 'w').getWeights()).toEqual(params);
    const c = loadCheckpoint(checkpoint, 'c');
    expect([c.epoch, c.state.globalStep, c.model.name]).toEqual([2, 3750, 'one-hidden']);
    expect([c.fit, c.data]).toEqual([run.fit, run.data]);
    expect(c.state.params).toEqual(params);
  });

  it('round-trips a position inside an epoch, and rejects a malformed one', () => {
    const inside = encodeCheckpoint(model, {
      ...run,
      epoch: 2,
      state: { params, optimizer: {}, globalStep: 3800, updates: 3800, epochProgress: { step: 50, metrics: Uint32Array.of(7, 0xffffffff, 1600, 3) } },
    });
    expect(loadCheckpoint(inside, 'c').state.epochProgress).toEqual({ step: 50, metrics: Uint32Array.of(7, 0xffffffff, 1600, 3) });
    const header = headerOf(inside);
    for (const [from, to] of [['step\\":50', 'step\\":-5'], ['4294967295', '4294967296']] as const) {
      const broken = withHeader(inside, inState(header, from, to));
      expect(() => loadCheckpoint(broken, 'c'), `${from} -> ${to}`).toThrow(/position inside an epoch is malformed/);
    }
  });

  it('rejects a checkpoint of another model, and one with a mismatched tensor', () => {
    const other = encodeWeights(seedModel('mlp').build(), new Float32Array(seedModel('mlp').build().params.totalElements), affine);
    expect(() => loadCheckpoint(other, 'other')).toThrow(/not wgml-checkpoint/);
    const header = headerOf(checkpoint);
    expect(header).toContain('"shape":[784,128]');
    const swapped = withHeader(checkpoint, header.replace('"shape":[784,128]', '"shape":[128,784]'));
    expect(() => loadCheckpoint(swapped, 'swapped')).toThrow(/dense_1.kernel' has shape \[128, 784\]/);
  });

  it('rejects edited run settings and non-finite tensors, and says what to do for each kind of file', () => {
    const header = headerOf(checkpoint);
    // Same-length edits of the run state.
    for (const [from, to, message] of [
      ['lr\\":0.03', 'lr\\":-0.3', /lr \(-0.3\) must be a number above 0/],
      ['batchSize\\":32', 'batchSize\\":-3', /batchSize \(-3\) must be a whole number/],
      ['optimizer\\":\\"sgd', 'optimizer\\":\\"sga', /optimizer 'sga' must be one of sgd, adam/],
    ] as const) {
      const edited = withHeader(checkpoint, inState(header, from, to));
      expect(() => loadCheckpoint(edited, 'c'), to).toThrow(message);
    }
    expect(() => loadCheckpoint(checkpoint.subarray(0, 100), 'c')).toThrow(/Resume from a checkpoint wgml wrote/);
    expect(() => loadModel(weights.subarray(0, 100), 'w')).toThrow(/Pass a weights file/);
    const diverged = params.slice();
    diverged[7] = NaN;
    expect(() => loadModel(encodeWeights(model, diverged, affine), 'w')).toThrow(/'dense_1.kernel' holds NaN or infinite values[^]*lower learning rate \(--lr\)/);
    const weightsHeader = headerOf(weights);
    expect(weightsHeader).toContain('"shape":[784,128]');
    const shape = withHeader(weights, weightsHeader.replace('"shape":[784,128]', '"shape":[128,784]'));
    expect(() => loadModel(shape, 'w')).toThrow(/has shape \[128, 784\][^]*written for another model/);
  });

  it.each([
    ['weights', weights, loadModel],
    ['checkpoint', checkpoint, loadCheckpoint],
  ] as const)('%s: truncated, bit-flipped or random bytes give a DataError, never another exception', (_, good, decode) => {
    const onlyDataErrors = (bytes: Uint8Array) => {
      try {
        decode(bytes, 'file');
      } catch (e) {
        if (!(e instanceof DataError)) throw e;
      }
    };
    fc.assert(fc.property(fc.integer({ min: 0, max: good.length - 1 }), (cut) => onlyDataErrors(good.subarray(0, cut))), { numRuns: 200 });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Math.min(good.length, 4096) * 8 - 1 }), (bit) => {
        const flipped = new Uint8Array(good);
        flipped[bit >> 3]! ^= 1 << (bit & 7);
        onlyDataErrors(flipped);
      }),
      { numRuns: 300 },
    );
    fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), onlyDataErrors), { numRuns: 200 });
  });
});
