import type { Gpu } from '../gpu/device';
import { kernel, type Binding, type KernelCall } from '../gpu/kernel';
import { ACTIVATION_CODE, unusedBinding, type Activation } from './activation';

export interface MatmulShape {
  m: number;
  n: number;
  k: number;
  /** A is stored [k, m] (its transpose) instead of [m, k]. */
  transA?: boolean;
  /** B is stored [n, k] instead of [k, n]. */
  transB?: boolean;
}

export type MatmulEpilogue =
  | { kind: 'none' }
  /** c = act(a·b + bias): a dense layer's forward pass. */
  | { kind: 'bias-act'; bias?: Binding; act: Activation }
  /** c = (a·b) ⊙ act'(y): the gradient through the activation that produced y. */
  | { kind: 'gate'; y: Binding; act: Activation };

export interface MatmulBindings {
  a: Binding;
  b: Binding;
  c: Binding;
}

const WG_X = 8;
const WG_Y = 8;
const BLOCK = 4; // outputs per invocation along each axis (fixed in the shader)

/** C[m,n] = epilogue(op(A)·op(B)); see shaders/matmul.wgsl. */
export function matmul(gpu: Gpu, shape: MatmulShape, io: MatmulBindings, epilogue: MatmulEpilogue = { kind: 'none' }, label = 'matmul'): Promise<KernelCall> {
  const { m, n, k } = shape;
  const extra = epilogue.kind === 'gate' ? epilogue.y : epilogue.kind === 'bias-act' && epilogue.bias ? epilogue.bias : unusedBinding(gpu);
  return kernel(gpu, {
    label: `${label} ${m}x${k}·${k}x${n}`,
    shader: 'matmul',
    entry: 'main',
    constants: {
      M: m,
      N: n,
      K: k,
      TRANS_A: Number(!!shape.transA),
      TRANS_B: Number(!!shape.transB),
      HAS_BIAS: Number(epilogue.kind === 'bias-act' && !!epilogue.bias),
      ACT: epilogue.kind === 'none' ? 0 : ACTIVATION_CODE[epilogue.act],
      GATE: Number(epilogue.kind === 'gate'),
      WG_X,
      WG_Y,
    },
    bindings: [io.a, io.b, io.c, extra],
    workgroups: [Math.ceil(n / (BLOCK * WG_X)), Math.ceil(m / (BLOCK * WG_Y))],
    flops: 2 * m * n * k,
    bytes: 4 * (m * k + k * n + m * n),
  });
}

/** The kernel configuration matmul() picks for `shape` (for the benchmark's report). */
export function matmulPlan(_shape: MatmulShape): { name: string } {
  return { name: `${BLOCK}x${BLOCK} ${WG_X}x${WG_Y} scalar` };
}
