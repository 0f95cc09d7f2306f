import { describe, it } from 'vitest';
import { bufferFrom, readF32 } from '../../src/gpu/buffers';
import { submitCalls } from '../../src/gpu/kernel';
import { activationBackward, activationForward, type Activation } from '../../src/kernels/activation';
import { expectClose } from '../support/compare';
import { checked, poisoned, useGpu } from '../support/gpu';
import { randomF32, testRng } from '../support/random';
import { activateGradRef, activateRef } from '../oracle/dense';

const gpu = useGpu();

// Not a multiple of the 256-lane workgroup.
const COUNT = 70_001;

describe('stand-alone activation', () => {
  for (const act of ['linear', 'relu', 'sigmoid'] as Activation[]) {
    it(`${act} forward`, async () => {
      const g = gpu();
      const { seed, next } = testRng();
      const x = randomF32(next, COUNT, -6, 6);
      const y = poisoned(g, COUNT);
      const call = await activationForward(g, act, COUNT, bufferFrom(g, 'x', x), y);
      const got = await checked(g, async () => (submitCalls(g, [call]), readF32(g, y)));
      expectClose(got, Array.from(x, (v) => activateRef(v, act)), `seed ${seed}`);
    });

    it(`${act} backward`, async () => {
      const g = gpu();
      const { seed, next } = testRng();
      // y: forward outputs, in the activation's range (ReLU's include exact zeros).
      const y = randomF32(next, COUNT, -6, 6).map((v) => activateRef(v, act));
      const dy = randomF32(next, COUNT);
      const dx = poisoned(g, COUNT);
      const call = await activationBackward(g, act, COUNT, bufferFrom(g, 'y', y), bufferFrom(g, 'dy', dy), dx);
      const got = await checked(g, async () => (submitCalls(g, [call]), readF32(g, dx)));
      expectClose(got, Array.from(y, (v, i) => dy[i]! * activateGradRef(v, act)), `seed ${seed}`);
    });
  }
});
