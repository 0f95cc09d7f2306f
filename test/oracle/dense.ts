/** Float64 CPU references for matrix products and activations: the oracle the GPU kernels answer to. */
import type { Activation } from '../../src/kernels/activation';

export type Matrix = ArrayLike<number>;

/** C[m,n] = op(A)·op(B), A stored [m,k] (or [k,m] if transA), B stored [k,n] (or [n,k] if transB). */
export function matmulRef(a: Matrix, b: Matrix, m: number, n: number, k: number, transA = false, transB = false): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a[transA ? p * m + i : i * k + p]! * b[transB ? j * k + p : p * n + j]!;
      c[i * n + j] = s;
    }
  }
  return c;
}

export function activateRef(x: number, act: Activation): number {
  if (act === 'relu') return Math.max(x, 0);
  if (act === 'sigmoid') return 1 / (1 + Math.exp(-x));
  return x;
}

/** d act / dx, in terms of the output y. */
export function activateGradRef(y: number, act: Activation): number {
  if (act === 'relu') return y > 0 ? 1 : 0;
  if (act === 'sigmoid') return y * (1 - y);
  return 1;
}

/** Y = act(X·W + b) for X [m,k], W [k,n], b [n]. */
export function denseForwardRef(x: Matrix, w: Matrix, bias: Matrix | null, m: number, n: number, k: number, act: Activation): Float64Array {
  const y = matmulRef(x, w, m, n, k);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) y[i * n + j] = activateRef(y[i * n + j]! + (bias ? bias[j]! : 0), act);
  return y;
}

/** Column sums of a [rows, cols] matrix: a bias gradient. */
export function sumRowsRef(x: Matrix, rows: number, cols: number): Float64Array {
  const out = new Float64Array(cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c]! += x[r * cols + c]!;
  return out;
}
