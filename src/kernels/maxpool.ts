import { ShapeError } from '../errors';
import type { Gpu } from '../gpu/device';
import { kernel, linearGrid, type Binding, type KernelCall } from '../gpu/kernel';

/** A max-pooling layer over NHWC input, Keras-style: 'valid' windows; the stride defaults to the pool size. */
export interface MaxPoolShape {
  h: number;
  w: number;
  c: number;
  /** Pool height and width; default 2x2. */
  ph?: number;
  pw?: number;
  /** Stride down and across; default the pool size. */
  sh?: number;
  sw?: number;
}

export interface MaxPoolGeometry extends Required<MaxPoolShape> {
  /** floor((in - pool) / stride) + 1 */
  oh: number;
  ow: number;
}

export function maxPoolGeometry(shape: MaxPoolShape): MaxPoolGeometry {
  const { h, w, c, ph = 2, pw = 2 } = shape;
  const { sh = ph, sw = pw } = shape;
  const sizes = { h, w, c, ph, pw, sh, sw };
  for (const [name, v] of Object.entries(sizes)) {
    if (!Number.isInteger(v) || v < 1) throw new ShapeError(`maxpool: ${name} must be a positive integer, got ${v}.`);
  }
  if (ph > h || pw > w) {
    throw new ShapeError(
      `maxpool: a ${ph}x${pw} pool does not fit in a ${h}x${w} input.`,
      'Use a smaller pool, or fewer pooling layers before this one.',
    );
  }
  return { ...sizes, oh: Math.floor((h - ph) / sh) + 1, ow: Math.floor((w - pw) / sw) + 1 };
}

const WG = 256;

function overrides(g: MaxPoolGeometry, batch: number): Record<string, number> {
  if (!Number.isInteger(batch) || batch < 1) throw new ShapeError(`maxpool: batch must be a positive integer, got ${batch}.`);
  return { N: batch, H: g.h, W: g.w, C: g.c, PH: g.ph, PW: g.pw, SH: g.sh, SW: g.sw, OH: g.oh, OW: g.ow, DISJOINT: Number(g.sh >= g.ph && g.sw >= g.pw), WG };
}

function describe(label: string, g: MaxPoolGeometry, batch: number): string {
  return `${label} ${batch}x${g.h}x${g.w}x${g.c} ${g.ph}x${g.pw}/${g.sh}x${g.sw}`;
}

/**
 * y [n, oh, ow, c] = the max of each window of x [n, h, w, c], and argmax (u32, same shape) = the flat
 * index into x of that max, the first in row-major window order on ties. See shaders/maxpool.wgsl.
 */
export async function maxPoolForward(
  gpu: Gpu,
  shape: MaxPoolShape,
  batch: number,
  io: { x: Binding; y: Binding; argmax: Binding },
  label = 'maxpool forward',
): Promise<KernelCall> {
  const g = maxPoolGeometry(shape);
  const outputs = batch * g.oh * g.ow * g.c;
  return kernel(gpu, {
    label: describe(label, g, batch),
    shader: 'maxpool',
    entry: 'forward',
    constants: overrides(g, batch),
    bindings: [io.x, io.argmax, io.y],
    workgroups: linearGrid(outputs, WG),
    flops: outputs * g.ph * g.pw,
    bytes: 4 * (batch * g.h * g.w * g.c + 2 * outputs),
  });
}

/**
 * dx [n, h, w, c] = dy routed to each window's arg-max (summed where overlapping windows pick the same
 * element; zero elsewhere). Writes every element of dx, so dx needs no clearing.
 */
export async function maxPoolBackward(
  gpu: Gpu,
  shape: MaxPoolShape,
  batch: number,
  io: { dy: Binding; argmax: Binding; dx: Binding },
  label = 'maxpool grad',
): Promise<KernelCall> {
  const g = maxPoolGeometry(shape);
  const inputs = batch * g.h * g.w * g.c;
  const outputs = batch * g.oh * g.ow * g.c;
  // Windows per input element, at most: ceil(pool / stride) each way.
  const overlap = Math.ceil(g.ph / g.sh) * Math.ceil(g.pw / g.sw);
  return kernel(gpu, {
    label: describe(label, g, batch),
    shader: 'maxpool',
    entry: 'backward',
    constants: overrides(g, batch),
    bindings: [io.dy, io.argmax, io.dx],
    workgroups: linearGrid(inputs, WG),
    flops: inputs * overlap,
    bytes: 4 * (inputs + 2 * outputs),
  });
}
