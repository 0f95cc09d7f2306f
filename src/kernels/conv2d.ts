import { ShapeError } from '../errors';
import type { Gpu } from '../gpu/device';
import { kernel, linearGrid, type Binding, type KernelCall } from '../gpu/kernel';
import { ACTIVATION_CODE, unusedBinding, type Activation } from './activation';

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
): Promise<KernelCall> {
  const g = conv2dGeometry(shape);
  const bias = epilogue.kind === 'bias-act' ? epilogue.bias : undefined;
  const inputs = batch * g.h * g.w * g.cin;
  const outputs = batch * g.oh * g.ow * g.cout;
  const wg = conv2dLaunch(batch * g.oh * g.ow, g.cout);
  return kernel(gpu, {
    label: describe(label, g, batch),
    shader: 'conv2d',
    entry: 'forward',
    constants: {
      ...overrides(g, batch, wg),
      HAS_BIAS: Number(!!bias),
      ACT: epilogue.kind === 'bias-act' ? ACTIVATION_CODE[epilogue.act] : 0,
    },
    bindings: [io.x, io.w, io.y, bias ?? unusedBinding(gpu)],
    workgroups: wg.workgroups,
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
): Promise<KernelCall> {
  const g = conv2dGeometry(shape);
  const gate = epilogue.kind === 'gate';
  const inputs = batch * g.h * g.w * g.cin;
  const wg = conv2dLaunch(batch * g.h * g.w, g.cin);
  return kernel(gpu, {
    label: describe(label, g, batch),
    shader: 'conv2d',
    entry: 'backward_input',
    constants: {
      ...overrides(g, batch, wg),
      GATE: Number(gate),
      ACT: gate ? ACTIVATION_CODE[epilogue.act] : 0,
    },
    bindings: [io.dy, io.w, io.dx, gate ? epilogue.y : unusedBinding(gpu)],
    workgroups: wg.workgroups,
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
): Promise<KernelCall> {
  const g = conv2dGeometry(shape);
  const wg = conv2dLaunch(g.kh * g.kw * g.cin, g.cout);
  return kernel(gpu, {
    label: describe(label, g, batch),
    shader: 'conv2d',
    entry: 'backward_filter',
    constants: overrides(g, batch, wg),
    bindings: [io.x, io.dy, io.dw],
    workgroups: wg.workgroups,
    flops: convFlops(g, batch),
    bytes: 4 * (batch * g.h * g.w * g.cin + batch * g.oh * g.ow * g.cout + g.kh * g.kw * g.cin * g.cout),
  });
}
