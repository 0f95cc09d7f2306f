//! requires: activation_fns
// 2-D convolution over NHWC activations with HWIO weights [KH,KW,CIN,COUT], as three implicit GEMMs
// (no im2col buffer), one per entry point:
//
//   forward          y[n,oy,ox,co]   = act(Σ_{ky,kx,ci} x[n, oy·S+ky-PT, ox·S+kx-PL, ci] · w[ky,kx,ci,co] + b[co])
//                    rows: N·OH·OW output pixels, columns: COUT, reduction: KH·KW·CIN
//   backward_input   dx[n,iy,ix,ci]  = (Σ_{ky,kx,co} dy[n,oy,ox,co] · w[ky,kx,ci,co]) ⊙ act'(y_prev[n,iy,ix,ci])
//                    over the (ky,kx) where oy = (iy+PT-ky)/S and ox = (ix+PL-kx)/S divide exactly
//                    and fall in range; rows: N·H·W input pixels, columns: CIN, reduction: KH·KW·COUT
//   backward_filter  dw[ky,kx,ci,co] = Σ_{n,oy,ox} x[n, oy·S+ky-PT, ox·S+kx-PL, ci] · dy[n,oy,ox,co]
//                    rows: KH·KW·CIN taps, columns: COUT, reduction: N·OH·OW
//
// shaders/conv2d_subgroups.wgsl adds subgroup entry points (forward_sg, ...) over the same overrides
// and bindings, 2-2.5x faster on lavapipe; conv2d.ts picks them when the device and channel counts allow
// (its *_flat_sg entry points, for CIN % 4 != 0, read x through `a` below).
//
// Pixels outside the image read as zero. The bias gradient is not here: it is the column sum of dy
// viewed as [N·OH·OW, COUT] (sum_rows).
//
// Register-blocked like matmul.wgsl, with no workgroup memory, but 8x8: each invocation owns R=8 rows
// by C=8 columns of the output in registers. Edge rows and columns are clamped on load (computing
// duplicates) and skipped on store. The reduction's innermost loop runs over the channel axis, which
// is contiguous in NHWC and HWIO. Why 8x8 rather than matmul's 4x4: lavapipe (Mesa 25.0) turns every
// storage-buffer load into a bounds-checked scalar load per lane, many times the cost of an FMA, so
// what counts is loads per FMA: R+C loads feed R·C FMAs. At the CNN's layers 8x8 beat 4x4 by 1.3-1.7x
// and 8x4 by 1.2-1.3x in interleaved A/B runs (the 64 accumulators spill; that costs far less).
//
// LOOPS. Two things keep the 8x8 block cheap to compile (lavapipe's LLVM spent 2-10 s of CPU per
// pipeline without them, 0.4-1 s with them):
//   - Reduction loops run to bounds multiplied by `one` = min(num_workgroups.x, 1) = 1, which the
//     compiler cannot fold, so it never unrolls a loop whose body is the 64-FMA block (with
//     constant bounds it unrolled the short ones, e.g. the 9 taps of a 3x3 kernel on one channel).
//   - The epilogue walks rows in a loop and picks the row with `pick_row` (constant indices only,
//     so the accumulators stay in registers), so its loads and stores appear 8 times, not 64.

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
override WG_Y: u32 = 8u; // lanes along the rows

const R = 8u; // rows per invocation
const C = 8u; // columns per invocation

// forward:         a = x [N,H,W,CIN],     b = w [KH,KW,CIN,COUT], c = y [N,OH,OW,COUT], extra = bias [COUT]
// backward_input:  a = dy [N,OH,OW,COUT], b = w,                  c = dx [N,H,W,CIN],    extra = y_prev [N,H,W,CIN]
// backward_filter: a = x,                 b = dy,                 c = dw [KH,KW,CIN,COUT] (no extra: not in its layout)
@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> c: array<f32>;
@group(0) @binding(3) var<storage, read> extra: array<f32>;

alias Block = array<array<f32, C>, R>;

// The first row of the invocation's block: row blocks are folded over y and z past 65,535 workgroups
// (see linearGrid).
fn first_row(gid: vec3u, nwg: vec3u) -> u32 {
  return (gid.y + gid.z * nwg.y * WG_Y) * R;
}

// acc[i] for a row i the compiler cannot see (see LOOPS).
fn pick_row(acc: ptr<function, Block>, i: u32) -> array<f32, C> {
  var v = (*acc)[0];
  for (var k = 1u; k < R; k++) {
    if (k == i) { v = (*acc)[k]; }
  }
  return v;
}

@compute @workgroup_size(WG_X, WG_Y)
fn forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let pixels = N * OH * OW;
  let col0 = gid.x * C;
  let pix0 = first_row(gid, nwg);
  if (col0 >= COUT || pix0 >= pixels) { return; }
  let one = min(nwg.x, 1u); // see LOOPS

  var cols: array<u32, C>;
  var bias: array<f32, C>;
  for (var j = 0u; j < C; j++) {
    cols[j] = min(col0 + j, COUT - 1u);
    if (HAS_BIAS) { bias[j] = extra[cols[j]]; }
  }
  var top: array<i32, R>; // input row and column of the pixel's top-left tap, may be negative
  var left: array<i32, R>;
  var img: array<u32, R>; // n * H
  for (var i = 0u; i < R; i++) {
    let p = min(pix0 + i, pixels - 1u);
    let ox = p % OW;
    let oy = (p / OW) % OH;
    img[i] = (p / (OW * OH)) * H;
    top[i] = i32(oy * STRIDE) - i32(PAD_TOP);
    left[i] = i32(ox * STRIDE) - i32(PAD_LEFT);
  }

  var acc: Block;
  for (var tap = 0u; tap < KH * KW * one; tap++) {
    // Where each pixel's tap (ky, kx) lands in x, and whether it is inside the image.
    let ky = i32(tap / KW);
    let kx = i32(tap % KW);
    var at: array<u32, R>;
    var inside: array<bool, R>;
    for (var i = 0u; i < R; i++) {
      let iy = top[i] + ky;
      let ix = left[i] + kx;
      inside[i] = iy >= 0 && iy < i32(H) && ix >= 0 && ix < i32(W);
      at[i] = select(0u, ((img[i] + u32(iy)) * W + u32(ix)) * CIN, inside[i]);
    }
    for (var ci = 0u; ci < CIN * one; ci++) {
      let wi = (tap * CIN + ci) * COUT;
      var wv: array<f32, C>;
      for (var j = 0u; j < C; j++) { wv[j] = b[wi + cols[j]]; }
      for (var i = 0u; i < R; i++) {
        let xv = select(0.0, a[at[i] + ci], inside[i]);
        for (var j = 0u; j < C; j++) { acc[i][j] = fma(xv, wv[j], acc[i][j]); }
      }
    }
  }

  for (var i = 0u; i < R * one; i++) {
    let p = pix0 + i;
    if (p >= pixels) { break; }
    let v = pick_row(&acc, i);
    for (var j = 0u; j < C; j++) {
      let co = col0 + j;
      if (co >= COUT) { break; }
      c[p * COUT + co] = activate(v[j] + bias[j], ACT);
    }
  }
}

@compute @workgroup_size(WG_X, WG_Y)
fn backward_input(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let pixels = N * H * W;
  let col0 = gid.x * C;
  let pix0 = first_row(gid, nwg);
  if (col0 >= CIN || pix0 >= pixels) { return; }
  let one = min(nwg.x, 1u); // see LOOPS

  var cols: array<u32, C>;
  for (var j = 0u; j < C; j++) { cols[j] = min(col0 + j, CIN - 1u); }
  var sy: array<i32, R>; // iy + PT = oy*S + ky for the output pixels that read this one
  var sx: array<i32, R>;
  var img: array<u32, R>; // n * OH
  for (var i = 0u; i < R; i++) {
    let p = min(pix0 + i, pixels - 1u);
    let ix = p % W;
    let iy = (p / W) % H;
    img[i] = (p / (W * H)) * OH;
    sy[i] = i32(iy + PAD_TOP);
    sx[i] = i32(ix + PAD_LEFT);
  }

  var acc: Block;
  for (var tap = 0u; tap < KH * KW * one; tap++) {
    // The output pixel whose tap (ky, kx) read this input pixel, if any.
    let ky = i32(tap / KW);
    let kx = i32(tap % KW);
    var at: array<u32, R>;
    var hit: array<bool, R>;
    for (var i = 0u; i < R; i++) {
      let ty = sy[i] - ky;
      let tx = sx[i] - kx;
      let oy = u32(max(ty, 0)) / STRIDE;
      let ox = u32(max(tx, 0)) / STRIDE;
      hit[i] = ty >= 0 && tx >= 0 && oy * STRIDE == u32(ty) && ox * STRIDE == u32(tx) && oy < OH && ox < OW;
      at[i] = select(0u, ((img[i] + oy) * OW + ox) * COUT, hit[i]);
    }
    var wrow: array<u32, C>;
    for (var j = 0u; j < C; j++) { wrow[j] = (tap * CIN + cols[j]) * COUT; }
    for (var co = 0u; co < COUT * one; co++) {
      var wv: array<f32, C>;
      for (var j = 0u; j < C; j++) { wv[j] = b[wrow[j] + co]; }
      for (var i = 0u; i < R; i++) {
        let dv = select(0.0, a[at[i] + co], hit[i]);
        for (var j = 0u; j < C; j++) { acc[i][j] = fma(dv, wv[j], acc[i][j]); }
      }
    }
  }

  for (var i = 0u; i < R * one; i++) {
    let p = pix0 + i;
    if (p >= pixels) { break; }
    let v = pick_row(&acc, i);
    for (var j = 0u; j < C; j++) {
      let ci = col0 + j;
      if (ci >= CIN) { break; }
      var g = v[j];
      if (GATE) { g *= activate_grad(extra[p * CIN + ci], ACT); }
      c[p * CIN + ci] = g;
    }
  }
}

// Rows are taps r = (ky*KW + kx)*CIN + ci in HWIO order.
@compute @workgroup_size(WG_X, WG_Y)
fn backward_filter(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let taps = KH * KW * CIN;
  let col0 = gid.x * C;
  let row0 = first_row(gid, nwg);
  if (col0 >= COUT || row0 >= taps) { return; }
  let one = min(nwg.x, 1u); // see LOOPS

  var cols: array<u32, C>;
  for (var j = 0u; j < C; j++) { cols[j] = min(col0 + j, COUT - 1u); }
  var acc: Block;
  if (CIN % R == 0u) { // fixed when the pipeline is created: only one branch is compiled
    filter_one_tap(&acc, row0, cols, one);
  } else {
    filter_any_taps(&acc, row0, cols, one);
  }

  for (var i = 0u; i < R * one; i++) {
    let r = row0 + i;
    if (r >= taps) { break; }
    let v = pick_row(&acc, i);
    for (var j = 0u; j < C; j++) {
      let co = col0 + j;
      if (co >= COUT) { break; }
      c[r * COUT + co] = v[j];
    }
  }
}

// CIN % R == 0: the block's rows are R consecutive channels of one tap (ky, kx), so they read one
// input pixel per output pixel, and the loops visit exactly the output pixels whose tap lands inside
// the image, with no per-element test (~30% faster than filter_any_taps at the CNN's second layer).
fn filter_one_tap(acc: ptr<function, Block>, row0: u32, cols: array<u32, C>, one: u32) {
  let tap = row0 / CIN;
  let ci0 = row0 % CIN;
  let dy0 = i32(PAD_TOP) - i32(tap / KW); // the input row is oy*S - dy0
  let dx0 = i32(PAD_LEFT) - i32(tap % KW);
  // oy in [oy_lo, oy_hi) keeps 0 <= oy*S - dy0 < H; likewise ox. (Only non-negative numbers are
  // divided: i32 division truncates toward zero, not down.)
  let oy_lo = (u32(max(dy0, 0)) + STRIDE - 1u) / STRIDE;
  let ox_lo = (u32(max(dx0, 0)) + STRIDE - 1u) / STRIDE;
  let last_y = i32(H) - 1 + dy0;
  let last_x = i32(W) - 1 + dx0;
  let oy_hi = select(0u, min(u32(last_y) / STRIDE + 1u, OH), last_y >= 0);
  let ox_hi = select(0u, min(u32(last_x) / STRIDE + 1u, OW), last_x >= 0);

  for (var n = 0u; n < N * one; n++) {
    for (var oy = oy_lo; oy < oy_hi; oy++) {
      let xrow = (n * H + u32(i32(oy * STRIDE) - dy0)) * W;
      let drow = (n * OH + oy) * OW;
      for (var ox = ox_lo; ox < ox_hi; ox++) {
        let xi = (xrow + u32(i32(ox * STRIDE) - dx0)) * CIN + ci0;
        let di = (drow + ox) * COUT;
        var dv: array<f32, C>;
        for (var j = 0u; j < C; j++) { dv[j] = b[di + cols[j]]; }
        for (var i = 0u; i < R; i++) {
          let xv = a[xi + i];
          for (var j = 0u; j < C; j++) { (*acc)[i][j] = fma(xv, dv[j], (*acc)[i][j]); }
        }
      }
    }
  }
}

// Any CIN: each row keeps its own tap, offset into x and test for landing outside the image, so a
// block fills up whatever CIN is (CIN = 1 included); clamped rows past the end compute duplicates.
fn filter_any_taps(acc: ptr<function, Block>, row0: u32, cols: array<u32, C>, one: u32) {
  let taps = KH * KW * CIN;
  var dy0: array<i32, R>; // PT - ky: the input row is oy*S - dy0
  var dx0: array<i32, R>;
  var chan: array<u32, R>;
  for (var i = 0u; i < R; i++) {
    let r = min(row0 + i, taps - 1u);
    chan[i] = r % CIN;
    dy0[i] = i32(PAD_TOP) - i32(r / (KW * CIN));
    dx0[i] = i32(PAD_LEFT) - i32((r / CIN) % KW);
  }

  for (var row = 0u; row < N * OH * one; row++) { // row = n*OH + oy
    let n = row / OH;
    let oy = row % OH;
    var xrow: array<u32, R>;
    var row_inside: array<bool, R>;
    for (var i = 0u; i < R; i++) {
      let iy = i32(oy * STRIDE) - dy0[i];
      row_inside[i] = iy >= 0 && iy < i32(H);
      xrow[i] = (n * H + u32(iy)) * W;
    }
    for (var ox = 0u; ox < OW * one; ox++) {
      let di = (row * OW + ox) * COUT;
      var dv: array<f32, C>;
      for (var j = 0u; j < C; j++) { dv[j] = b[di + cols[j]]; }
      for (var i = 0u; i < R; i++) {
        let ix = i32(ox * STRIDE) - dx0[i];
        let inside = row_inside[i] && ix >= 0 && ix < i32(W);
        let xv = select(0.0, a[select(0u, (xrow[i] + u32(ix)) * CIN + chan[i], inside)], inside);
        for (var j = 0u; j < C; j++) { (*acc)[i][j] = fma(xv, dv[j], (*acc)[i][j]); }
      }
    }
  }
}
