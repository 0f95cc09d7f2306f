import { ShapeError } from '../errors';
import { eightLaneSubgroups, type Gpu } from '../gpu/device';
import { storageBuffer, writeBuffer } from '../gpu/buffers';
import { kernel, linearGrid, type Binding, type KernelCall } from '../gpu/kernel';
import { chooseVariant } from '../tune/tuner';
import { ACTIVATION_CODE, unusedBinding, type Activation } from './activation';
import { TILES, tileConstants, tileGrid, type TileConfig } from './tile';

/**
 * Keras' padding modes: 'valid' adds none (output = floor((input - kernel) / stride) + 1); 'same'
 * zero-pads so output = ceil(input / stride), the odd pixel going after the image (TensorFlow's rule).
 */
export type Conv2dPadding = 'same' | 'valid';

/** A 2-D convolution layer's shape, Keras-style: NHWC activations, HWIO weights [kh, kw, cin, cout]. */
export interface Conv2dShape {
  /** Input height, width and channels. */
  h: number;
  w: number;
  cin: number;
  /** Kernel height and width. */
  kh: number;
  kw: number;
  cout: number;
  /** The same in both directions; default 1. */
  stride?: number;
  /** Default 'valid', as in Keras. */
  padding?: Conv2dPadding;
}

/** A shape with its output size and padding worked out (TensorFlow's rules). */
export interface Conv2dGeometry extends Required<Conv2dShape> {
  oh: number;
  ow: number;
  /** Zero rows/columns added before and after the image; bottom/right >= top/left. */
  padTop: number;
  padBottom: number;
  padLeft: number;
  padRight: number;
}

/**
 * Output size and padding of a convolution. 'valid': out = floor((in - k) / stride) + 1, no padding.
 * 'same': out = ceil(in / stride), pad_total = max((out - 1) * stride + k - in, 0), with the smaller
 * half (floor) before the image and the rest after it, as TensorFlow and Keras do.
 */
export function conv2dGeometry(shape: Conv2dShape): Conv2dGeometry {
  const { h, w, cin, kh, kw, cout, stride = 1, padding = 'valid' } = shape;
  const sizes = { h, w, cin, kh, kw, cout, stride };
  for (const [name, v] of Object.entries(sizes)) {
    if (!Number.isInteger(v) || v < 1) {
      throw new ShapeError(`conv2d: ${name} must be a positive integer, got ${v}.`);
    }
  }
  if (padding !== 'same' && padding !== 'valid') {
    throw new ShapeError(`conv2d: padding must be 'same' or 'valid', got '${String(padding)}'.`);
  }
  if (padding === 'valid') {
    if (kh > h || kw > w) {
      throw new ShapeError(
        `conv2d: a ${kh}x${kw} kernel does not fit in a ${h}x${w} input with 'valid' padding.`,
        "Use padding 'same', a smaller kernel, or fewer pooling layers before this one.",
      );
    }
    const oh = Math.floor((h - kh) / stride) + 1;
    const ow = Math.floor((w - kw) / stride) + 1;
    return { ...sizes, padding, oh, ow, padTop: 0, padBottom: 0, padLeft: 0, padRight: 0 };
  }
  const oh = Math.ceil(h / stride);
  const ow = Math.ceil(w / stride);
  const padH = Math.max((oh - 1) * stride + kh - h, 0);
  const padW = Math.max((ow - 1) * stride + kw - w, 0);
  const padTop = Math.floor(padH / 2);
  const padLeft = Math.floor(padW / 2);
  return { ...sizes, padding, oh, ow, padTop, padBottom: padH - padTop, padLeft, padRight: padW - padLeft };
}

export type Conv2dForwardEpilogue =
  | { kind: 'none' }
  /** y = act(conv(x, w) + bias): the layer's forward pass. */
  | { kind: 'bias-act'; bias?: Binding; act: Activation };

export type Conv2dInputGradEpilogue =
  | { kind: 'none' }
  /** dx = convᵀ(dy, w) ⊙ act'(y): the gradient continues through the activation that produced this layer's input y. */
  | { kind: 'gate'; y: Binding; act: Activation };

const BLOCK = 8; // rows and columns per invocation (R and C in the shader)
const LANES = 64; // per workgroup, unless that leaves too few workgroups (see conv2dLaunch)
const MIN_WORKGROUPS = 32;

export interface Conv2dLaunch {
  /** Workgroup size (the WG_X, WG_Y overrides). */
  wgX: number;
  wgY: number;
  workgroups: [number, number, number];
}

/**
 * Workgroup size and count for a GEMM of `rows` x `cols` outputs in 8x8 blocks (all three passes). The workgroup's x lanes are
 * fitted to the column blocks (a narrow layer does not idle lanes) and its size shrinks from 64 lanes
 * down to 8 when 64 would make fewer than MIN_WORKGROUPS workgroups, so small dispatches (the filter
 * gradient has only KH*KW*CIN x COUT outputs) still spread over every core of a CPU adapter. Row
 * blocks fold into z past 65,535 workgroups.
 */
export function conv2dLaunch(rows: number, cols: number): Conv2dLaunch {
  const colBlocks = Math.ceil(cols / BLOCK);
  const rowBlocks = Math.ceil(rows / BLOCK);
  const wgX = Math.min(8, 2 ** Math.ceil(Math.log2(colBlocks)));
  let lanes = LANES;
  const count = (l: number) => Math.ceil(colBlocks / wgX) * Math.ceil(rowBlocks / Math.max(1, l / wgX));
  while (lanes > 8 && count(lanes) < MIN_WORKGROUPS) lanes /= 2;
  const wgY = Math.max(1, lanes / wgX);
  const [y, z] = linearGrid(rowBlocks, wgY);
  return { wgX, wgY, workgroups: [Math.ceil(colBlocks / wgX), y, z] };
}

/** Which conv2d pass a plan is for. */
export type Conv2dPass = 'forward' | 'backward_input' | 'backward_filter';

/**
 * How a pass runs: the 8x8 entry points of shaders/conv2d.wgsl, or the subgroup ones of
 * shaders/conv2d_subgroups.wgsl with `sgRows` rows per 8-lane subgroup block (see that file).
 * `flat`: the entry point that flattens the taps and channels into one reduction index and reads x
 * as scalars (forward_flat_sg, backward_filter_flat_sg: any cin), instead of vec4s along channels.
 */
export type Conv2dPlan =
  | { kind: 'block8x8'; launch: Conv2dLaunch }
  | { kind: 'subgroups'; flat: boolean; sgRows: number; sgWg: number; workgroups: [number, number, number] }
  /** shaders/conv2d_tiled.wgsl: the workgroup-memory tiled GEMM (a tuner candidate for real GPUs). */
  | { kind: 'tiled'; tile: TileConfig; workgroups: [number, number, number] };

/** Overrides of the chosen plan, for tests of each code path and for tuning. */
export interface Conv2dPlanChoice {
  /** false: the 8x8 entry points even where subgroups would do; true: subgroups, or throw if this pass and shape cannot. */
  subgroups?: boolean;
  /**
   * true: the flattened-reduction subgroup entry point (forward and backward_filter only); false: the
   * channel-vec4 one; default: flat exactly when cin % 4 != 0.
   */
  flat?: boolean;
  /** Rows per subgroup block: 8 or 16 (backward_filter also 32 and must divide cin; flat backward_filter: 4, 8 or 12). */
  sgRows?: number;
  /** Lanes per workgroup on the subgroup path (a multiple of 8, at most 64). */
  sgWg?: number;
  /** The workgroup-memory tiled kernel with this tile (the other fields are then ignored). */
  tile?: TileConfig;
}

const SG_LANES = 8;
const SG_COLS = 4 * SG_LANES; // columns per subgroup block
// backward_filter_flat_sg falls off a cliff past 12 rows on lavapipe (16: 10x slower, spills), and
// the compile time grows with the rows (32: ~3 s).
const FLAT_FILTER_ROWS = 12;

/** GEMM rows and columns of a pass. */
function gemmSize(pass: Conv2dPass, g: Conv2dGeometry, batch: number): [number, number] {
  if (pass === 'forward') return [batch * g.oh * g.ow, g.cout];
  if (pass === 'backward_input') return [batch * g.h * g.w, g.cin];
  return [g.kh * g.kw * g.cin, g.cout];
}

/** Whether a subgroup entry point of `pass` handles this shape with `sgRows` rows per block. */
function subgroupShapeOk(pass: Conv2dPass, g: Conv2dGeometry, sgRows: number, flat: boolean): boolean {
  if (g.cout % 4 !== 0) return false; // vec4 loads and stores along cout
  if (flat) {
    if (pass === 'backward_filter') return [4, 8, 12].includes(sgRows);
    return pass === 'forward' && (sgRows === 8 || sgRows === 16);
  }
  if (g.cin % 4 !== 0) return false; // vec4 loads along cin
  if (pass === 'backward_filter') return [8, 16, 32].includes(sgRows) && g.cin % sgRows === 0;
  return sgRows === 8 || sgRows === 16;
}

/**
 * Default rows per block: the filter's one-tap blocks divide cin; its flat blocks split the kh*kw*cin
 * taps evenly into blocks of at most FLAT_FILTER_ROWS (9 -> one block of 12).
 */
function defaultSgRows(pass: Conv2dPass, g: Conv2dGeometry, flat: boolean): number {
  if (pass !== 'backward_filter') return 16;
  if (!flat) return [32, 16, 8].find((r) => g.cin % r === 0) ?? 16;
  const taps = g.kh * g.kw * g.cin;
  return 4 * Math.ceil(taps / Math.ceil(taps / FLAT_FILTER_ROWS) / 4);
}

/**
 * The plan a pass runs: subgroups when the device and shape allow (2-3x fewer instructions per
 * multiply-add on lavapipe, bench/NOTES.md ## conv2d): the channel-vec4 entry points where cin % 4
 * == 0 (the filter's also need a block size that divides cin), the flat ones where cin % 4 != 0;
 * else the 8x8 blocks.
 */
export function conv2dPlan(gpu: Gpu, pass: Conv2dPass, g: Conv2dGeometry, batch: number, choice: Conv2dPlanChoice = {}): Conv2dPlan {
  const [rows, cols] = gemmSize(pass, g, batch);
  if (choice.tile) return { kind: 'tiled', tile: choice.tile, workgroups: tileGrid(rows, cols, choice.tile) };
  // Flat only where cin % 4 != 0 by default: at cin 12 (no one-tap block size divides it) the flat
  // filter used as much CPU as the 8x8 blocks, so the measured win is at cin = 1 only.
  const flat = choice.flat ?? (g.cin % 4 !== 0);
  const sgRows = choice.sgRows ?? defaultSgRows(pass, g, flat);
  const possible = eightLaneSubgroups(gpu) && subgroupShapeOk(pass, g, sgRows, flat);
  if ((choice.subgroups === true || choice.flat !== undefined) && !possible) {
    const what = flat ? 'flat subgroup path' : 'subgroup path';
    throw new Error(`conv2d ${pass}: the ${what} cannot run ${sgRows}-row blocks of cin ${g.cin}, cout ${g.cout} on this device`);
  }
  if (!possible || choice.subgroups === false) return { kind: 'block8x8', launch: conv2dLaunch(rows, cols) };
  const blocks = Math.ceil(rows / sgRows) * Math.ceil(cols / SG_COLS);
  let sgWg = choice.sgWg ?? LANES;
  if (choice.sgWg === undefined) while (sgWg > SG_LANES && Math.ceil(blocks / (sgWg / SG_LANES)) < MIN_WORKGROUPS) sgWg /= 2;
  if (sgWg % SG_LANES !== 0 || sgWg > LANES) throw new Error(`conv2d: sgWg must be a multiple of 8 up to 64, got ${sgWg}`);
  const [x, y] = linearGrid(blocks, sgWg / SG_LANES);
  return { kind: 'subgroups', flat, sgRows, sgWg, workgroups: [x, y, 1] };
}

/** The PASS override of shaders/conv2d_tiled.wgsl. */
const PASS_CODE: Record<Conv2dPass, number> = { forward: 0, backward_input: 1, backward_filter: 2 };

/**
 * The variants a pass can run, by id: `block8x8` (conv2d.wgsl's 8x8 entry points), `subgroups` (the
 * default subgroup plan of conv2dPlan), `tile32`, `tile64` (conv2d_tiled.wgsl with TILES' tiles).
 */
export function conv2dVariantChoice(variant: string): Conv2dPlanChoice {
  const tile = TILES[variant];
  if (tile) return { tile };
  if (variant === 'block8x8') return { subgroups: false };
  if (variant === 'subgroups') return { subgroups: true };
  throw new Error(`conv2d: unknown variant '${variant}'`);
}

/** Operands of one pass, in binding order: the two inputs, the output, and the epilogue's extra (or null). */
type PassOperands = [Binding, Binding, Binding, Binding | null];

/**
 * The plan choice for a pass: `choice` itself when the caller forced anything (tests, probes), else
 * the tuner's pick among the variants that run this shape (src/tune/tuner.ts), timed with `run` on
 * scratch operands of the pass's sizes; with tuning off, the default plan.
 */
async function tunedChoice(
  gpu: Gpu, pass: Conv2dPass, g: Conv2dGeometry, batch: number, choice: Conv2dPlanChoice,
  run: (io: PassOperands, choice: Conv2dPlanChoice) => Promise<KernelCall>, extraElements: number | null,
): Promise<Conv2dPlanChoice> {
  if (Object.keys(choice).length > 0) return choice;
  const fallback = conv2dPlan(gpu, pass, g, batch).kind;
  const candidates = [...new Set([fallback, 'block8x8', ...Object.keys(TILES)])];
  const inputs = batch * g.h * g.w * g.cin;
  const outputs = batch * g.oh * g.ow * g.cout;
  const weights = g.kh * g.kw * g.cin * g.cout;
  const sizes = { forward: [inputs, weights, outputs], backward_input: [outputs, weights, inputs], backward_filter: [inputs, outputs, weights] }[pass];
  const variant = await chooseVariant(gpu, {
    family: `conv2d ${pass}`,
    shape: `${batch}x${g.h}x${g.w}x${g.cin} k${g.kh}x${g.kw}x${g.cout} s${g.stride} ${g.padding}`,
    flops: convFlops(g, batch),
    fallback,
    candidates,
    prepare: async () => {
      const buffers = [...sizes, extraElements ?? 0].map((count) => {
        const b = storageBuffer(gpu, 'tune scratch', Math.max(4, count * 4));
        writeBuffer(gpu, b, new Float32Array(count).map((_, i) => Math.sin(i)));
        return b;
      });
      const io: PassOperands = [buffers[0]!, buffers[1]!, buffers[2]!, extraElements === null ? null : buffers[3]!];
      return { build: (v: string) => run(io, conv2dVariantChoice(v)), release: () => buffers.forEach((b) => b.destroy()) };
    },
  });
  return conv2dVariantChoice(variant);
}

/** Shader, entry point, launch overrides and grid of a plan. */
function planSpec(plan: Conv2dPlan, pass: Conv2dPass): {
  shader: string;
  entry: string;
  wg: Conv2dLaunch;
  extra: Record<string, number>;
  workgroups: [number, number, number];
} {
  if (plan.kind === 'block8x8') {
    return { shader: 'conv2d', entry: pass, wg: plan.launch, extra: {}, workgroups: plan.launch.workgroups };
  }
  if (plan.kind === 'tiled') {
    const extra = { ...tileConstants(plan.tile), PASS: PASS_CODE[pass] };
    return { shader: 'conv2d_tiled', entry: 'tiled', wg: { wgX: 8, wgY: 8, workgroups: plan.workgroups }, extra, workgroups: plan.workgroups };
  }
  return {
    shader: 'conv2d_subgroups',
    entry: plan.flat ? `${pass}_flat_sg` : `${pass}_sg`,
    wg: { wgX: 8, wgY: 8, workgroups: plan.workgroups }, // WG_X, WG_Y are unused by the subgroup entry points
    extra: { SG_ROWS: plan.sgRows, SG_WG: plan.sgWg },
    workgroups: plan.workgroups,
  };
}

function overrides(g: Conv2dGeometry, batch: number, wg: Conv2dLaunch): Record<string, number> {
  if (!Number.isInteger(batch) || batch < 1) throw new ShapeError(`conv2d: batch must be a positive integer, got ${batch}.`);
  return {
    N: batch,
    H: g.h,
    W: g.w,
    CIN: g.cin,
    KH: g.kh,
    KW: g.kw,
    COUT: g.cout,
    STRIDE: g.stride,
    PAD_TOP: g.padTop,
    PAD_LEFT: g.padLeft,
    OH: g.oh,
    OW: g.ow,
    WG_X: wg.wgX,
    WG_Y: wg.wgY,
  };
}

/** Multiply-adds of one pass, times 2; the three passes do the same number. */
function convFlops(g: Conv2dGeometry, batch: number): number {
  return 2 * batch * g.oh * g.ow * g.kh * g.kw * g.cin * g.cout;
}

function describe(label: string, g: Conv2dGeometry, batch: number): string {
  return `${label} ${batch}x${g.h}x${g.w}x${g.cin} * ${g.kh}x${g.kw}x${g.cout}/${g.stride} ${g.padding}`;
}

/** y [n, oh, ow, cout] = epilogue(conv(x [n, h, w, cin], w [kh, kw, cin, cout])); see shaders/conv2d.wgsl. */
export async function conv2dForward(
  gpu: Gpu,
  shape: Conv2dShape,
  batch: number,
  io: { x: Binding; w: Binding; y: Binding },
  epilogue: Conv2dForwardEpilogue = { kind: 'none' },
  label = 'conv2d forward',
  choice: Conv2dPlanChoice = {},
): Promise<KernelCall> {
  const g = conv2dGeometry(shape);
  const bias = epilogue.kind === 'bias-act' ? epilogue.bias : undefined;
  const inputs = batch * g.h * g.w * g.cin;
  const outputs = batch * g.oh * g.ow * g.cout;
  const tuned = await tunedChoice(gpu, 'forward', g, batch, choice, ([x, w, y, b], c) =>
    conv2dForward(gpu, shape, batch, { x, w, y }, epilogue.kind === 'bias-act' ? { ...epilogue, bias: bias && b! } : epilogue, 'tune conv2d', c), bias ? g.cout : null);
  const spec = planSpec(conv2dPlan(gpu, 'forward', g, batch, tuned), 'forward');
  return kernel(gpu, {
    label: describe(label, g, batch),
    shader: spec.shader,
    entry: spec.entry,
    constants: {
      ...overrides(g, batch, spec.wg),
      ...spec.extra,
      HAS_BIAS: Number(!!bias),
      ACT: epilogue.kind === 'bias-act' ? ACTIVATION_CODE[epilogue.act] : 0,
    },
    bindings: [io.x, io.w, io.y, bias ?? unusedBinding(gpu)],
    workgroups: spec.workgroups,
    flops: convFlops(g, batch),
    bytes: 4 * (inputs + g.kh * g.kw * g.cin * g.cout + outputs + (bias ? g.cout : 0)),
  });
}

/**
 * dx [n, h, w, cin] = epilogue(convᵀ(dy [n, oh, ow, cout], w)): the gradient with respect to the layer's input.
 * Writes every element of dx (input pixels no output read get 0), so dx needs no clearing.
 */
export async function conv2dBackwardInput(
  gpu: Gpu,
  shape: Conv2dShape,
  batch: number,
  io: { dy: Binding; w: Binding; dx: Binding },
  epilogue: Conv2dInputGradEpilogue = { kind: 'none' },
  label = 'conv2d grad input',
  choice: Conv2dPlanChoice = {},
): Promise<KernelCall> {
  const g = conv2dGeometry(shape);
  const gate = epilogue.kind === 'gate';
  const inputs = batch * g.h * g.w * g.cin;
  const tuned = await tunedChoice(gpu, 'backward_input', g, batch, choice, ([dy, w, dx, y], c) =>
    conv2dBackwardInput(gpu, shape, batch, { dy, w, dx }, gate ? { ...epilogue, y: y! } : epilogue, 'tune conv2d', c), gate ? inputs : null);
  const spec = planSpec(conv2dPlan(gpu, 'backward_input', g, batch, tuned), 'backward_input');
  return kernel(gpu, {
    label: describe(label, g, batch),
    shader: spec.shader,
    entry: spec.entry,
    constants: {
      ...overrides(g, batch, spec.wg),
      ...spec.extra,
      GATE: Number(gate),
      ACT: gate ? ACTIVATION_CODE[epilogue.act] : 0,
    },
    bindings: [io.dy, io.w, io.dx, gate ? epilogue.y : unusedBinding(gpu)],
    workgroups: spec.workgroups,
    flops: convFlops(g, batch),
    bytes: 4 * (batch * g.oh * g.ow * g.cout + g.kh * g.kw * g.cin * g.cout + inputs * (gate ? 2 : 1)),
  });
}

/**
 * dw [kh, kw, cin, cout] = Σ over the batch and output pixels of x ⊗ dy: the gradient with respect to the
 * weights. Overwrites dw (it does not add to it).
 */
export async function conv2dBackwardFilter(
  gpu: Gpu,
  shape: Conv2dShape,
  batch: number,
  io: { x: Binding; dy: Binding; dw: Binding },
  label = 'conv2d grad filter',
  choice: Conv2dPlanChoice = {},
): Promise<KernelCall> {
  const g = conv2dGeometry(shape);
  const tuned = await tunedChoice(gpu, 'backward_filter', g, batch, choice, ([x, dy, dw], c) =>
    conv2dBackwardFilter(gpu, shape, batch, { x, dy, dw }, 'tune conv2d', c), null);
  const spec = planSpec(conv2dPlan(gpu, 'backward_filter', g, batch, tuned), 'backward_filter');
  return kernel(gpu, {
    label: describe(label, g, batch),
    shader: spec.shader,
    entry: spec.entry,
    constants: { ...overrides(g, batch, spec.wg), ...spec.extra },
    // conv2d_tiled's one entry point declares the other passes' epilogue binding too.
    bindings: spec.shader === 'conv2d_tiled' ? [io.x, io.dy, io.dw, unusedBinding(gpu)] : [io.x, io.dy, io.dw],
    workgroups: spec.workgroups,
    flops: convFlops(g, batch),
    bytes: 4 * (batch * g.h * g.w * g.cin + batch * g.oh * g.ow * g.cout + g.kh * g.kw * g.cin * g.cout),
  });
}
