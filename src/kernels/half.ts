/**
 * The f16 copy of f32 values that mixed precision trains with: four halves per vec2<u32>, in order,
 * so value i sits in bytes 2i..2i+1 of the copy. matmul reads such copies as `HalfOperand`s; the
 * optimisers rewrite them with each update (kernels/optimizer.ts, `paramsHalf`).
 */
import type { Gpu } from '../gpu/device';
import { kernel, linearGrid, type Binding, type KernelCall } from '../gpu/kernel';

const WG = 256;

/** Bytes of the f16 copy of `count` values. */
export function halfCopyBytes(count: number): number {
  return count * 2;
}

/** dst = the f16 copy of src's first `count` values (count divisible by 4); values past ±65504 saturate. */
export function packHalves(gpu: Gpu, shape: { count: number }, io: { src: Binding; dst: Binding }): Promise<KernelCall> {
  const { count } = shape;
  if (!Number.isInteger(count) || count < 4 || count % 4 !== 0) throw new Error(`packHalves: count must be a positive multiple of 4, got ${count}`);
  return kernel(gpu, {
    label: `f16 copy [${count}]`,
    shader: 'half',
    entry: 'main',
    constants: { COUNT4: count / 4, WG },
    bindings: [io.src, io.dst],
    workgroups: linearGrid(count / 4, WG),
    bytes: 6 * count,
  });
}
