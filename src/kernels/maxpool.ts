import { ShapeError } from '../errors';
import type { Gpu } from '../gpu/device';
import { kernel, linearGrid, type Binding, type KernelCall } from '../gpu/kernel';
import { ACTIVATION_CODE, unusedBinding, type Activation } from './activation';
import { checkDropout, dropoutThreshold, type DropoutSpec } from './dropout';

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

export type MaxPoolPass = 'forward' | 'backward';

/** Which code path a pass runs; `maxPoolPlan` picks the fastest that applies unless told otherwise. */
export interface MaxPoolChoice {
  /** Four channels per invocation through vec4 bindings (needs C % 4 == 0; backward also disjoint windows). */
  vec4?: boolean;
  /** Scalar backward: find each input's one window by division (needs stride >= pool both ways). */
  disjoint?: boolean;
}

export interface MaxPoolPlan {
  /** Entry point in shaders/maxpool.wgsl. */
  entry: 'forward' | 'forward_vec4' | 'backward' | 'backward_vec4';
  vec4: boolean;
  disjoint: boolean;
  invocations: number;
}

/** Windows that never share an input element (stride >= pool both ways, e.g. the usual 2x2/2). */
export function maxPoolDisjoint(g: MaxPoolGeometry): boolean {
  return g.sh >= g.ph && g.sw >= g.pw;
}

/** The path `pass` runs for `shape`: by default vec4 wherever it applies; `choice` forces one (tests). */
export function maxPoolPlan(shape: MaxPoolShape, batch: number, pass: MaxPoolPass, choice: MaxPoolChoice = {}): MaxPoolPlan {
  const g = maxPoolGeometry(shape);
  const canDisjoint = maxPoolDisjoint(g);
  const canVec4 = g.c % 4 === 0 && (pass === 'forward' || canDisjoint);
  const { vec4 = canVec4, disjoint = canDisjoint } = choice;
  if (vec4 && !canVec4) throw new Error(`maxpool: no vec4 ${pass} path for ${describe('', g, batch).trim()} (needs C % 4 == 0${pass === 'backward' ? ' and stride >= pool' : ''})`);
  if (disjoint && !canDisjoint) throw new Error(`maxpool: windows of ${g.ph}x${g.pw}/${g.sh}x${g.sw} overlap`);
  if (pass === 'forward') {
    return { entry: vec4 ? 'forward_vec4' : 'forward', vec4, disjoint: canDisjoint, invocations: (batch * g.oh * g.ow * g.c) / (vec4 ? 4 : 1) };
  }
  if (vec4) {
    // One invocation per SH x SW cell of input pixels per 4 channels; the cells tile (and may overhang) the image.
    const cells = Math.ceil(g.h / g.sh) * Math.ceil(g.w / g.sw);
    return { entry: 'backward_vec4', vec4, disjoint: true, invocations: (batch * cells * g.c) / 4 };
  }
  return { entry: 'backward', vec4, disjoint, invocations: batch * g.h * g.w * g.c };
}

/** A dropout layer run inside the pool's vec4 kernels (training): see shaders/maxpool.wgsl. */
export interface PoolDropout extends Omit<DropoutSpec, 'count'> {
  /** The per-step uniform (shaders/step.wgsl): the mask's seed and step. */
  step: Binding;
}

/** What the vec4 kernels can fuse: the dropout before the pool, and (backward) the activation before that. */
export interface PoolFusion {
  dropout?: PoolDropout;
  /** Backward: multiply dx by act'(y), y the activation's output (the pool's, or the dropout's, input). */
  gate?: { y: Binding; act: Activation };
}

/** Overrides and extra bindings (3: step, 4: gate y) of a fusion; the vec4 entry points always bind them. */
function fusion(gpu: Gpu, f: PoolFusion, plan: MaxPoolPlan, pass: MaxPoolPass): { constants: Record<string, number>; bindings: Binding[] } {
  if (!plan.vec4) {
    if (f.dropout || f.gate) throw new Error(`maxpool: only the vec4 ${pass} path fuses dropout or an activation gradient`);
    return { constants: {}, bindings: [] };
  }
  const d = f.dropout;
  if (d) checkDropout(d);
  const constants = {
    DROPOUT: Number(!!d),
    DROP_STREAM: d?.stream ?? 0,
    DROP_THRESHOLD: d ? dropoutThreshold(d.rate) : 0,
    DROP_SCALE: d ? 1 / (1 - d.rate) : 1,
    GATE_ACT: ACTIVATION_CODE[f.gate?.act ?? 'linear'],
  };
  const step = d?.step ?? unusedBinding(gpu);
  return { constants, bindings: pass === 'forward' ? [step] : [step, f.gate?.y ?? unusedBinding(gpu)] };
}

function fusionLabel(f: PoolFusion): string {
  return `${f.dropout ? ` + dropout p=${f.dropout.rate}` : ''}${f.gate ? ` + ${f.gate.act} grad` : ''}`;
}

function overrides(g: MaxPoolGeometry, batch: number, disjoint: boolean): Record<string, number> {
  if (!Number.isInteger(batch) || batch < 1) throw new ShapeError(`maxpool: batch must be a positive integer, got ${batch}.`);
  return { N: batch, H: g.h, W: g.w, C: g.c, PH: g.ph, PW: g.pw, SH: g.sh, SW: g.sw, OH: g.oh, OW: g.ow, DISJOINT: Number(disjoint), WG };
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
  choice: MaxPoolChoice = {},
  fused: Pick<PoolFusion, 'dropout'> = {},
): Promise<KernelCall> {
  const g = maxPoolGeometry(shape);
  const plan = maxPoolPlan(shape, batch, 'forward', choice);
  const outputs = batch * g.oh * g.ow * g.c;
  const f = fusion(gpu, fused, plan, 'forward');
  return kernel(gpu, {
    label: describe(label, g, batch) + fusionLabel(fused),
    shader: 'maxpool',
    entry: plan.entry,
    // The forward pass ignores DISJOINT: a constant value keeps one pipeline per shape.
    constants: { ...overrides(g, batch, false), ...f.constants },
    bindings: [io.x, io.argmax, io.y, ...f.bindings],
    workgroups: linearGrid(plan.invocations, WG),
    // Comparisons; x read once (for disjoint windows), y and argmax written once: the same on both paths.
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
  choice: MaxPoolChoice = {},
  fused: PoolFusion = {},
): Promise<KernelCall> {
  const g = maxPoolGeometry(shape);
  const plan = maxPoolPlan(shape, batch, 'backward', choice);
  const f = fusion(gpu, fused, plan, 'backward');
  const inputs = batch * g.h * g.w * g.c;
  const outputs = batch * g.oh * g.ow * g.c;
  // Windows per input element, at most: ceil(pool / stride) each way.
  const overlap = Math.ceil(g.ph / g.sh) * Math.ceil(g.pw / g.sw);
  return kernel(gpu, {
    label: describe(label, g, batch) + fusionLabel(fused),
    shader: 'maxpool',
    entry: plan.entry,
    constants: { ...overrides(g, batch, plan.disjoint), ...f.constants },
    bindings: [io.dy, io.argmax, io.dx, ...f.bindings],
    workgroups: linearGrid(plan.invocations, WG),
    // Compare-and-adds per input; dx written once, dy and argmax read once each: the same on both paths.
    flops: inputs * overlap,
    bytes: 4 * (inputs + 2 * outputs),
  });
}
