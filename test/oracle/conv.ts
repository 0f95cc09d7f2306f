/**
 * Float64 CPU references for 2-D convolution and max-pooling over NHWC, weights HWIO: plain loops,
 * written from the definitions, not from the kernels. Sizes and padding come in explicitly, so a
 * mistake in src's geometry cannot hide in the oracle (the geometry has its own tests).
 */
import type { Activation } from '../../src/kernels/activation';
import { activateRef } from './dense';

export type Tensor = ArrayLike<number>;

export interface ConvDims {
  n: number;
  h: number;
  w: number;
  cin: number;
  kh: number;
  kw: number;
  cout: number;
  stride: number;
  padTop: number;
  padLeft: number;
  oh: number;
  ow: number;
}

/** y[n,oy,ox,co] = act(Σ x[n, oy·s+ky-pt, ox·s+kx-pl, ci] · w[ky,kx,ci,co] + b[co]), zero outside the image. */
export function conv2dForwardRef(x: Tensor, w: Tensor, bias: Tensor | null, d: ConvDims, act: Activation = 'linear'): Float64Array {
  const y = new Float64Array(d.n * d.oh * d.ow * d.cout);
  for (let n = 0; n < d.n; n++) {
    for (let oy = 0; oy < d.oh; oy++) {
      for (let ox = 0; ox < d.ow; ox++) {
        for (let co = 0; co < d.cout; co++) {
          let s = bias ? bias[co]! : 0;
          for (let ky = 0; ky < d.kh; ky++) {
            const iy = oy * d.stride + ky - d.padTop;
            if (iy < 0 || iy >= d.h) continue;
            for (let kx = 0; kx < d.kw; kx++) {
              const ix = ox * d.stride + kx - d.padLeft;
              if (ix < 0 || ix >= d.w) continue;
              for (let ci = 0; ci < d.cin; ci++) {
                s += x[((n * d.h + iy) * d.w + ix) * d.cin + ci]! * w[((ky * d.kw + kx) * d.cin + ci) * d.cout + co]!;
              }
            }
          }
          y[((n * d.oh + oy) * d.ow + ox) * d.cout + co] = activateRef(s, act);
        }
      }
    }
  }
  return y;
}

/** dx = ∂(Σ y·dy)/∂x for y = conv(x, w): each dy[n,oy,ox,co]·w[ky,kx,ci,co] added to the input pixel that tap read. */
export function conv2dBackwardInputRef(dy: Tensor, w: Tensor, d: ConvDims): Float64Array {
  const dx = new Float64Array(d.n * d.h * d.w * d.cin);
  for (let n = 0; n < d.n; n++) {
    for (let oy = 0; oy < d.oh; oy++) {
      for (let ox = 0; ox < d.ow; ox++) {
        for (let ky = 0; ky < d.kh; ky++) {
          const iy = oy * d.stride + ky - d.padTop;
          if (iy < 0 || iy >= d.h) continue;
          for (let kx = 0; kx < d.kw; kx++) {
            const ix = ox * d.stride + kx - d.padLeft;
            if (ix < 0 || ix >= d.w) continue;
            for (let ci = 0; ci < d.cin; ci++) {
              let s = 0;
              for (let co = 0; co < d.cout; co++) {
                s += dy[((n * d.oh + oy) * d.ow + ox) * d.cout + co]! * w[((ky * d.kw + kx) * d.cin + ci) * d.cout + co]!;
              }
              dx[((n * d.h + iy) * d.w + ix) * d.cin + ci]! += s;
            }
          }
        }
      }
    }
  }
  return dx;
}

/** dw[ky,kx,ci,co] = Σ_{n,oy,ox} x[n, oy·s+ky-pt, ox·s+kx-pl, ci] · dy[n,oy,ox,co]. */
export function conv2dBackwardFilterRef(x: Tensor, dy: Tensor, d: ConvDims): Float64Array {
  const dw = new Float64Array(d.kh * d.kw * d.cin * d.cout);
  for (let ky = 0; ky < d.kh; ky++) {
    for (let kx = 0; kx < d.kw; kx++) {
      for (let ci = 0; ci < d.cin; ci++) {
        for (let co = 0; co < d.cout; co++) {
          let s = 0;
          for (let n = 0; n < d.n; n++) {
            for (let oy = 0; oy < d.oh; oy++) {
              const iy = oy * d.stride + ky - d.padTop;
              if (iy < 0 || iy >= d.h) continue;
              for (let ox = 0; ox < d.ow; ox++) {
                const ix = ox * d.stride + kx - d.padLeft;
                if (ix < 0 || ix >= d.w) continue;
                s += x[((n * d.h + iy) * d.w + ix) * d.cin + ci]! * dy[((n * d.oh + oy) * d.ow + ox) * d.cout + co]!;
              }
            }
          }
          dw[((ky * d.kw + kx) * d.cin + ci) * d.cout + co] = s;
        }
      }
    }
  }
  return dw;
}

export interface PoolDims {
  n: number;
  h: number;
  w: number;
  c: number;
  ph: number;
  pw: number;
  sh: number;
  sw: number;
  oh: number;
  ow: number;
}

/** Max over each 'valid' window, and the flat index into x of the first max in row-major window order. */
export function maxPoolForwardRef(x: Tensor, d: PoolDims): { y: Float64Array; argmax: Uint32Array } {
  const count = d.n * d.oh * d.ow * d.c;
  const y = new Float64Array(count);
  const argmax = new Uint32Array(count);
  for (let n = 0; n < d.n; n++) {
    for (let oy = 0; oy < d.oh; oy++) {
      for (let ox = 0; ox < d.ow; ox++) {
        for (let c = 0; c < d.c; c++) {
          let best = -Infinity;
          let at = -1;
          for (let ky = 0; ky < d.ph; ky++) {
            for (let kx = 0; kx < d.pw; kx++) {
              const i = ((n * d.h + oy * d.sh + ky) * d.w + ox * d.sw + kx) * d.c + c;
              if (at < 0 || x[i]! > best) {
                best = x[i]!;
                at = i;
              }
            }
          }
          const o = ((n * d.oh + oy) * d.ow + ox) * d.c + c;
          y[o] = best;
          argmax[o] = at;
        }
      }
    }
  }
  return { y, argmax };
}

/** dx: each dy[o] added to x[argmax[o]] (a scatter; the kernel gathers). */
export function maxPoolBackwardRef(dy: Tensor, argmax: ArrayLike<number>, d: PoolDims): Float64Array {
  const dx = new Float64Array(d.n * d.h * d.w * d.c);
  for (let o = 0; o < d.n * d.oh * d.ow * d.c; o++) dx[argmax[o]!]! += dy[o]!;
  return dx;
}
