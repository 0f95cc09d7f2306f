//! requires: activation_fns
// 2-D convolution over NHWC activations with HWIO weights [KH,KW,CIN,COUT], as three implicit GEMMs
// (no im2col buffer), one per entry point:
//
//   forward          y[n,oy,ox,co]   = act(Σ_{ky,kx,ci} x[n, oy·S+ky-PT, ox·S+kx-PL, ci] · w[ky,kx,ci,co] + b[co])
//                    rows: N·OH·OW output pixels, columns: COUT, reduction: KH·KW·CIN
//   backward_input   dx[n,iy,ix,ci]  = (Σ_{ky,kx,co} dy[n,oy,ox,co] · w[ky,kx,ci,co]) ⊙ act'(y_prev[n,iy,ix,ci])
//                    where oy = (iy+PT-ky)/S and ox = (ix+PL-kx)/S divide exactly and fall in range;
//                    rows: N·H·W input pixels, columns: CIN, reduction: KH·KW·COUT
//   backward_filter  dw[ky,kx,ci,co] = Σ_{n,oy,ox} x[n, oy·S+ky-PT, ox·S+kx-PL, ci] · dy[n,oy,ox,co]
//                    rows: KH·KW·CIN taps, columns: COUT, reduction: N·OH·OW
//
// Pixels outside the image read as zero. Register-blocked like matmul.wgsl: each invocation owns a
// 4x4 block of the output (4 rows x 4 columns) in registers, with no workgroup memory; edge rows and
// columns are clamped on load and skipped on store. The reduction's innermost loop runs over the
// channel axis, which is contiguous in NHWC and in HWIO, so its loads walk memory in order.
//
// A workgroup is one row of WG_X lanes side by side along the columns (output channels), all on the
// same 4 rows, which come from the workgroup id alone. So every row-side address is the same in all
// lanes, and a software adapter (lavapipe runs 8 lanes as one SIMD vector) loads it once as a scalar
// instead of gathering 8 copies; only the column-side operand is gathered.
// The bias gradient is not here: it is the column sum of dy viewed as [N·OH·OW, COUT] (sum_rows).

override N: u32; // batch
override H: u32; // input height, width, channels
override W: u32;
override CIN: u32;
override KH: u32; // kernel height, width
override KW: u32;
override COUT: u32;
override STRIDE: u32 = 1u;
override PAD_TOP: u32 = 0u; // zero rows above the image ('same' padding); the rest of the padding is implicit in OH, OW
override PAD_LEFT: u32 = 0u;
override OH: u32; // output height, width
override OW: u32;
override HAS_BIAS: bool = false; // forward: add extra[co] before the activation
override ACT: u32 = ACT_NONE; // forward: the activation; backward_input with GATE: the previous layer's
override GATE: bool = false; // backward_input: multiply by activate_grad(extra[n,iy,ix,ci], ACT)
override WG_X: u32 = 8u; // lanes along the columns

// forward:         a = x [N,H,W,CIN],    b = w [KH,KW,CIN,COUT], c = y [N,OH,OW,COUT],  extra = bias [COUT]
// backward_input:  a = dy [N,OH,OW,COUT], b = w,                 c = dx [N,H,W,CIN],     extra = y_prev [N,H,W,CIN]
// backward_filter: a = x,                b = dy,                c = dw [KH,KW,CIN,COUT] (extra unused, not in its layout)
@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> c: array<f32>;
@group(0) @binding(3) var<storage, read> extra: array<f32>;

// The 4-row block of a workgroup: row blocks are folded over y and z past 65,535 (see linearGrid).
fn row_block(wid: vec3u, nwg: vec3u) -> u32 {
  return wid.y + wid.z * nwg.y;
}

// The first of the lane's 4 columns.
fn col_block(wid: vec3u, lid: vec3u) -> u32 {
  return (wid.x * WG_X + lid.x) * 4u;
}

@compute @workgroup_size(WG_X)
fn forward(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let pixels = N * OH * OW;
  let col0 = col_block(wid, lid);
  let pix0 = row_block(wid, nwg) * 4u;
  if (pix0 >= pixels) { return; } // the same for the whole workgroup

  var cols: array<u32, 4>;
  var top: array<i32, 4>; // input row of the kernel's top-left tap, may be negative
  var left: array<i32, 4>;
  var img: array<u32, 4>; // n * H
  for (var i = 0u; i < 4u; i++) {
    cols[i] = min(col0 + i, COUT - 1u);
    let p = min(pix0 + i, pixels - 1u);
    let ox = p % OW;
    let oy = (p / OW) % OH;
    img[i] = (p / (OW * OH)) * H;
    top[i] = i32(oy * STRIDE) - i32(PAD_TOP);
    left[i] = i32(ox * STRIDE) - i32(PAD_LEFT);
  }

  var acc: array<vec4f, 4>;
  for (var ky = 0u; ky < KH; ky++) {
    for (var kx = 0u; kx < KW; kx++) {
      // Where each pixel's tap (ky, kx) lands in x, and whether it is inside the image.
      var at: array<u32, 4>;
      var inside: array<bool, 4>;
      for (var i = 0u; i < 4u; i++) {
        let iy = top[i] + i32(ky);
        let ix = left[i] + i32(kx);
        inside[i] = iy >= 0 && iy < i32(H) && ix >= 0 && ix < i32(W);
        at[i] = select(0u, ((img[i] + u32(iy)) * W + u32(ix)) * CIN, inside[i]);
      }
      if (!(inside[0] || inside[1] || inside[2] || inside[3])) { continue; }
      let tap = (ky * KW + kx) * CIN;
      for (var ci = 0u; ci < CIN; ci++) {
        let wi = (tap + ci) * COUT;
        let bk = vec4f(b[wi + cols[0]], b[wi + cols[1]], b[wi + cols[2]], b[wi + cols[3]]);
        for (var i = 0u; i < 4u; i++) {
          acc[i] = fma(vec4f(select(0.0, a[at[i] + ci], inside[i])), bk, acc[i]);
        }
      }
    }
  }

  for (var i = 0u; i < 4u; i++) {
    let p = pix0 + i;
    if (p >= pixels) { break; }
    for (var j = 0u; j < 4u; j++) {
      let co = col0 + j;
      if (co >= COUT) { break; }
      var v = acc[i][j];
      if (HAS_BIAS) { v += extra[co]; }
      c[p * COUT + co] = activate(v, ACT);
    }
  }
}

@compute @workgroup_size(WG_X)
fn backward_input(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let pixels = N * H * W;
  let col0 = col_block(wid, lid);
  let pix0 = row_block(wid, nwg) * 4u;
  if (pix0 >= pixels) { return; } // the same for the whole workgroup

  var cols: array<u32, 4>;
  var sy: array<i32, 4>; // iy + PT: the output row times S plus ky
  var sx: array<i32, 4>;
  var img: array<u32, 4>; // n * OH
  for (var i = 0u; i < 4u; i++) {
    cols[i] = min(col0 + i, CIN - 1u);
    let p = min(pix0 + i, pixels - 1u);
    let ix = p % W;
    let iy = (p / W) % H;
    img[i] = (p / (W * H)) * OH;
    sy[i] = i32(iy + PAD_TOP);
    sx[i] = i32(ix + PAD_LEFT);
  }

  var acc: array<vec4f, 4>;
  for (var ky = 0u; ky < KH; ky++) {
    for (var kx = 0u; kx < KW; kx++) {
      // The output pixel whose tap (ky, kx) read this input pixel, if any.
      var at: array<u32, 4>;
      var hit: array<bool, 4>;
      for (var i = 0u; i < 4u; i++) {
        let ty = sy[i] - i32(ky);
        let tx = sx[i] - i32(kx);
        let oy = u32(max(ty, 0)) / STRIDE;
        let ox = u32(max(tx, 0)) / STRIDE;
        hit[i] = ty >= 0 && tx >= 0 && oy * STRIDE == u32(ty) && ox * STRIDE == u32(tx) && oy < OH && ox < OW;
        at[i] = select(0u, ((img[i] + oy) * OW + ox) * COUT, hit[i]);
      }
      if (!(hit[0] || hit[1] || hit[2] || hit[3])) { continue; }
      let tap = (ky * KW + kx) * CIN;
      var wrow: array<u32, 4>;
      for (var j = 0u; j < 4u; j++) { wrow[j] = (tap + cols[j]) * COUT; }
      for (var co = 0u; co < COUT; co++) {
        let bk = vec4f(b[wrow[0] + co], b[wrow[1] + co], b[wrow[2] + co], b[wrow[3] + co]);
        for (var i = 0u; i < 4u; i++) {
          acc[i] = fma(vec4f(select(0.0, a[at[i] + co], hit[i])), bk, acc[i]);
        }
      }
    }
  }

  for (var i = 0u; i < 4u; i++) {
    let p = pix0 + i;
    if (p >= pixels) { break; }
    for (var j = 0u; j < 4u; j++) {
      let ci = col0 + j;
      if (ci >= CIN) { break; }
      var v = acc[i][j];
      if (GATE) { v *= activate_grad(extra[p * CIN + ci], ACT); }
      c[p * CIN + ci] = v;
    }
  }
}

// Rows come in blocks of 4 input channels of one tap (ky, kx), so a block's 4 rows read the same
// input pixel and the same range of output pixels: the loops below visit exactly the output pixels
// whose tap lands inside the image, with no per-element bounds test. When CIN is not a multiple of 4
// the last block of each tap computes clamped duplicate rows and stores nothing for them.
@compute @workgroup_size(WG_X)
fn backward_filter(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let cin_blocks = (CIN + 3u) / 4u;
  let col0 = col_block(wid, lid);
  let rb = row_block(wid, nwg);
  if (rb >= KH * KW * cin_blocks) { return; } // the same for the whole workgroup
  let tap = rb / cin_blocks;
  let ci0 = (rb % cin_blocks) * 4u;
  let ky = tap / KW;
  let kx = tap % KW;

  var chans: array<u32, 4>;
  var cols: array<u32, 4>;
  for (var i = 0u; i < 4u; i++) {
    chans[i] = min(ci0 + i, CIN - 1u);
    cols[i] = min(col0 + i, COUT - 1u);
  }

  // Output rows oy with 0 <= oy*S + ky - PT < H, i.e. oy in [oy_lo, oy_hi); likewise ox.
  let dy0 = i32(PAD_TOP) - i32(ky); // iy = oy*S - dy0
  let dx0 = i32(PAD_LEFT) - i32(kx);
  let oy_lo = (u32(max(dy0, 0)) + STRIDE - 1u) / STRIDE;
  let ox_lo = (u32(max(dx0, 0)) + STRIDE - 1u) / STRIDE;
  // (Divide only non-negative numbers: i32 division truncates toward zero, not down.)
  let last_y = i32(H) - 1 + dy0;
  let last_x = i32(W) - 1 + dx0;
  let oy_hi = select(0u, min(u32(last_y) / STRIDE + 1u, OH), last_y >= 0);
  let ox_hi = select(0u, min(u32(last_x) / STRIDE + 1u, OW), last_x >= 0);

  var acc: array<vec4f, 4>;
  for (var n = 0u; n < N; n++) {
    for (var oy = oy_lo; oy < oy_hi; oy++) {
      let iy = u32(i32(oy * STRIDE) - dy0);
      let xrow = (n * H + iy) * W;
      let drow = (n * OH + oy) * OW;
      for (var ox = ox_lo; ox < ox_hi; ox++) {
        let ix = u32(i32(ox * STRIDE) - dx0);
        let xi = (xrow + ix) * CIN;
        let di = (drow + ox) * COUT;
        let bk = vec4f(b[di + cols[0]], b[di + cols[1]], b[di + cols[2]], b[di + cols[3]]);
        for (var i = 0u; i < 4u; i++) {
          acc[i] = fma(vec4f(a[xi + chans[i]]), bk, acc[i]);
        }
      }
    }
  }

  for (var i = 0u; i < 4u; i++) {
    let ci = ci0 + i;
    if (ci >= CIN) { break; }
    for (var j = 0u; j < 4u; j++) {
      let co = col0 + j;
      if (co >= COUT) { break; }
      c[(tap * CIN + ci) * COUT + co] = acc[i][j];
    }
  }
}
