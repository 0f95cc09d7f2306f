import type { Gpu } from '../gpu/device';
import { storageBuffer } from '../gpu/buffers';
import { kernel, linearGrid, type Binding, type KernelCall } from '../gpu/kernel';
import { ShapeError } from '../errors';

export interface SumRowsShape {
  rows: number;
  cols: number;
}

const WG = 64;
/**
 * Rows per invocation of the first pass, and the most rows summed in a single pass. On lavapipe
 * (2 cores, shared with other jobs, so +-20%) [50176, 64] took ~3.5 ms for any chunk from 64 to
 * 1024 (memory-bound: 3.7 GB/s, where a buffer copy moves 13), against ~9-17 ms for a one-pass
 * workgroup tree reduction (barriers); [64, 512] and [256, 512] take 0.03-0.1 ms in one pass. 256
 * keeps f32 rounding low and gives a real GPU thousands of invocations for the tall shapes.
 */
export const SUM_ROWS_CHUNK = 256;

/** The plan: pass 1 over chunks of `chunk` rows into [chunks, cols], then (if chunks > 1) pass 2. */
function plan({ rows }: SumRowsShape): { chunk: number; chunks: number } {
  const chunk = rows <= SUM_ROWS_CHUNK ? rows : SUM_ROWS_CHUNK;
  return { chunk, chunks: Math.ceil(rows / chunk) };
}

/** Bytes of scratch `sumRows` needs for `shape`: 0 when one pass suffices. */
export function sumRowsScratchBytes(shape: SumRowsShape): number {
  const { chunks } = plan(shape);
  return chunks > 1 ? 4 * chunks * shape.cols : 0;
}

/**
 * out[c] = Σ_r x[r, c] over a row-major [rows, cols] matrix: a bias gradient. One dispatch when
 * rows <= SUM_ROWS_CHUNK, else two, through `scratch` (at least `sumRowsScratchBytes`; allocated here
 * if not given). Record the returned calls in order, in one pass or in consecutive ones. Four columns
 * per load (entry sum_rows_vec4) when cols % 4 == 0, with the same result bits.
 */
export async function sumRows(gpu: Gpu, shape: SumRowsShape, io: { x: Binding; out: Binding; scratch?: Binding }, label = 'sumRows'): Promise<KernelCall[]> {
  const { rows, cols } = shape;
  if (!(rows >= 1 && cols >= 1)) throw new ShapeError(`${label}: rows ${rows} and cols ${cols} must be >= 1.`);
  const { chunk, chunks } = plan(shape);
  const quads = cols % 4 === 0;
  const pass = (r: number, c: number, x: Binding, out: Binding, what: string) =>
    kernel(gpu, {
      label: `${label} ${what} ${r}x${c}`,
      shader: 'reduce',
      entry: quads ? 'sum_rows_vec4' : 'sum_rows',
      constants: { ROWS: r, COLS: cols, CHUNK: c, WG },
      bindings: [x, out],
      workgroups: linearGrid(Math.ceil(cols / 4) * Math.ceil(r / c), WG),
      flops: r * cols,
      bytes: 4 * (r * cols + Math.ceil(r / c) * cols),
    });
  if (chunks === 1) return [await pass(rows, chunk, io.x, io.out, '')];
  const scratch = io.scratch ?? storageBuffer(gpu, `${label} scratch`, sumRowsScratchBytes(shape));
  return Promise.all([pass(rows, chunk, io.x, scratch, 'pass 1'), pass(chunks, chunks, scratch, io.out, 'pass 2')]);
}
