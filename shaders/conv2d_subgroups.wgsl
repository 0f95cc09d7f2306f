//! requires: enable_subgroups, conv2d
// Subgroup entry points of conv2d.wgsl's three implicit GEMMs (same overrides, bindings and
// notation; see that file). conv2d.ts uses them when the device has 'subgroups' with subgroups of
// exactly 8 lanes that are consecutive local_invocation_index values (lavapipe), and COUT % 4 == 0;
// forward_sg, backward_input_sg and backward_filter_sg also need CIN % 4 == 0 (filter: CIN % SG_ROWS
// == 0 too), and forward_flat_sg and backward_filter_flat_sg take any CIN (the CNN's first layer has
// CIN = 1); otherwise the plain entry points.
//
// Why (bench/NOTES.md): on lavapipe each storage load costs ~6 + 5/component instructions per SIMD
// lane, so a kernel costs about its (lane, float) load count. Here a subgroup of 8 lanes owns a
// block of SG_ROWS rows x 32 columns; lane l owns columns col0 + 4l .. +3 and SG_ROWS x 4
// accumulators. Per 4 reduction steps each lane loads SG_ROWS/8 vec4s of the row operand (its
// share of the block's rows) and `subgroupBroadcast`s them to the other lanes, and loads its own
// columns of the column operand as 4 vec4s: (SG_ROWS/8 + 4) vec4 loads per 16·SG_ROWS multiply-adds,
// against 16 scalar loads per 64 in the 8x8 entry points.
//
// All 8 lanes of a subgroup share the block, so they return together (the subgroup stays full);
// lanes whose columns pass the edge clamp them, keep loading rows for the others, and store nothing.
// Broadcast lane indices must be constants, hence bcast8. Reduction loops keep the `one` trick
// (conv2d.wgsl, LOOPS) so that only the per-step block is unrolled.

@group(0) @binding(0) var<storage, read> a4: array<vec4f>;
@group(0) @binding(1) var<storage, read> b4: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> c4: array<vec4f>;
@group(0) @binding(3) var<storage, read> extra4: array<vec4f>;

override SG_ROWS: u32 = 16u; // rows per subgroup block: 8 or 16 (filter: 8, 16 or 32; flat filter: 4, 8 or 12)
override SG_WG: u32 = 64u; // lanes per workgroup, a multiple of 8
const SG = 8u; // lanes per subgroup
const SG_MAX_ROWS = 32u;
const SG_MAX_LOADS = 2u; // SG_ROWS / 8 for forward and backward_input

alias SgBlock = array<vec4f, SG_MAX_ROWS>;

// The 8 lanes' values of v, in lane order.
@diagnostic(off, subgroup_uniformity)
fn bcast8(v: vec4f) -> array<vec4f, 8> {
  return array(
    subgroupBroadcast(v, 0u), subgroupBroadcast(v, 1u), subgroupBroadcast(v, 2u), subgroupBroadcast(v, 3u),
    subgroupBroadcast(v, 4u), subgroupBroadcast(v, 5u), subgroupBroadcast(v, 6u), subgroupBroadcast(v, 7u),
  );
}

// First row and column of this lane's subgroup block; column blocks (32 wide) vary fastest.
fn sg_block(li: u32, wid: vec3u, nwg: vec3u, cols: u32) -> vec2u {
  let g = (wid.x + (wid.y + wid.z * nwg.y) * nwg.x) * (SG_WG / SG) + li / SG;
  let col_blocks = (cols + 4u * SG - 1u) / (4u * SG);
  return vec2u((g / col_blocks) * SG_ROWS, (g % col_blocks) * 4u * SG);
}

// Output pixel p's image offset n*H and the input row and column of its top-left tap (may be negative).
struct Origin { img: u32, top: i32, left: i32 }

fn pixel_origin(p: u32) -> Origin {
  let ox = p % OW;
  let oy = (p / OW) % OH;
  return Origin((p / (OW * OH)) * H, i32(oy * STRIDE) - i32(PAD_TOP), i32(ox * STRIDE) - i32(PAD_LEFT));
}

// (ky, kx, ci) of the flattened reduction index r = (ky*KW + kx)*CIN + ci, the weights' row (HWIO).
fn tap_of(r: u32) -> vec3i {
  let t = r / CIN;
  return vec3i(i32(t / KW), i32(t % KW), i32(r % CIN));
}

// x[o + tap] as one scalar load through conv2d.wgsl's `a` (so x needs no vec4 alignment); zero
// outside the image or when !ok. A select, not a branch around the load: the branch measured slower.
fn x_tap(o: Origin, t: vec3i, ok: bool) -> f32 {
  let iy = o.top + t.x;
  let ix = o.left + t.y;
  let inside = ok && iy >= 0 && iy < i32(H) && ix >= 0 && ix < i32(W);
  return select(0.0, a[select(0u, ((o.img + u32(iy)) * W + u32(ix)) * CIN + u32(t.z), inside)], inside);
}

// acc[i] for a row i the compiler cannot see: epilogue loops run to SG_ROWS * one so that their
// storage loads and stores appear once in the code, not SG_ROWS times (each is a loop over the SIMD
// lanes on lavapipe; unrolled, the gated backward_input epilogue doubled the pipeline's compile time).
fn sg_pick(acc: ptr<function, SgBlock>, i: u32) -> vec4f {
  var v = (*acc)[0];
  for (var k = 1u; k < SG_ROWS; k++) {
    if (k == i) { v = (*acc)[k]; }
  }
  return v;
}

// acc[i][j] += Σ_kk rows[i][kk] · cols[kk][j] for the block's rows i (rows[q][m] is row 8q + m).
fn sg_fma(acc: ptr<function, SgBlock>, xs: array<vec4f, SG_MAX_LOADS>, w: array<vec4f, 4>) {
  for (var q = 0u; q < SG_ROWS / SG; q++) {
    let xb = bcast8(xs[q]);
    for (var m = 0u; m < SG; m++) {
      let i = q * SG + m;
      (*acc)[i] = fma(vec4f(xb[m].x), w[0], (*acc)[i]);
      (*acc)[i] = fma(vec4f(xb[m].y), w[1], (*acc)[i]);
      (*acc)[i] = fma(vec4f(xb[m].z), w[2], (*acc)[i]);
      (*acc)[i] = fma(vec4f(xb[m].w), w[3], (*acc)[i]);
    }
  }
}

@compute @workgroup_size(SG_WG)
fn forward_sg(@builtin(local_invocation_index) li: u32, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let pixels = N * OH * OW;
  let blk = sg_block(li, wid, nwg, COUT);
  let pix0 = blk.x;
  if (pix0 >= pixels) { return; }
  let one = min(nwg.x, 1u); // see LOOPS in conv2d.wgsl
  let lane = li % SG;
  let col = blk.y + 4u * lane;
  let co = min(col, COUT - 4u); // this lane's 4 columns

  // The rows this lane loads: pix0 + lane + 8q.
  var org: array<Origin, SG_MAX_LOADS>;
  for (var q = 0u; q < SG_ROWS / SG; q++) { org[q] = pixel_origin(min(pix0 + lane + q * SG, pixels - 1u)); }

  var acc: SgBlock;
  let cin4 = CIN / 4u;
  let cout4 = COUT / 4u;
  for (var tap = 0u; tap < KH * KW * one; tap++) {
    let ky = i32(tap / KW);
    let kx = i32(tap % KW);
    var at: array<u32, SG_MAX_LOADS>; // vec4 index of the pixel's channel 0 at this tap
    var inside: array<bool, SG_MAX_LOADS>;
    for (var q = 0u; q < SG_ROWS / SG; q++) {
      let iy = org[q].top + ky;
      let ix = org[q].left + kx;
      inside[q] = iy >= 0 && iy < i32(H) && ix >= 0 && ix < i32(W);
      at[q] = select(0u, ((org[q].img + u32(iy)) * W + u32(ix)) * cin4, inside[q]);
    }
    let wtap = tap * CIN * cout4 + co / 4u;
    for (var c4i = 0u; c4i < cin4 * one; c4i++) {
      var xs: array<vec4f, SG_MAX_LOADS>;
      for (var q = 0u; q < SG_ROWS / SG; q++) { xs[q] = select(vec4f(0.0), a4[at[q] + c4i], inside[q]); }
      let wi = wtap + c4i * 4u * cout4;
      sg_fma(&acc, xs, array(b4[wi], b4[wi + cout4], b4[wi + 2u * cout4], b4[wi + 3u * cout4]));
    }
  }
  forward_store(&acc, pix0, col, co, one);
}

// y = act(acc + bias) for the block's rows, this lane's 4 columns (both forward entry points).
fn forward_store(acc: ptr<function, SgBlock>, pix0: u32, col: u32, co: u32, one: u32) {
  if (col >= COUT) { return; }
  var bias = vec4f(0.0);
  if (HAS_BIAS) { bias = extra4[co / 4u]; }
  for (var i = 0u; i < SG_ROWS * one; i++) {
    let p = pix0 + i;
    if (p >= N * OH * OW) { break; }
    let v = sg_pick(acc, i) + bias;
    c4[(p * COUT + co) / 4u] = vec4f(activate(v.x, ACT), activate(v.y, ACT), activate(v.z, ACT), activate(v.w, ACT));
  }
}

// Any CIN (the CNN's first layer has CIN = 1, where forward_sg's vec4 loads along channels cannot
// work): the reduction is flattened to r = (ky*KW + kx)*CIN + ci, the weights' row index, and taken
// 4 at a time, so the weights stay vec4 loads and sg_fma is shared. Each lane gathers its rows' 4
// values of x as scalars (x_tap; zero past the reduction's end). At CIN = 1 the 9 taps pad to 12.
@compute @workgroup_size(SG_WG)
fn forward_flat_sg(@builtin(local_invocation_index) li: u32, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let pixels = N * OH * OW;
  let blk = sg_block(li, wid, nwg, COUT);
  let pix0 = blk.x;
  if (pix0 >= pixels) { return; }
  let one = min(nwg.x, 1u);
  let lane = li % SG;
  let col = blk.y + 4u * lane;
  let co = min(col, COUT - 4u);

  var org: array<Origin, SG_MAX_LOADS>;
  for (var q = 0u; q < SG_ROWS / SG; q++) { org[q] = pixel_origin(min(pix0 + lane + q * SG, pixels - 1u)); }

  var acc: SgBlock;
  let rows = KH * KW * CIN;
  let cout4 = COUT / 4u;
  for (var r0 = 0u; r0 < rows * one; r0 += 4u) {
    // Rows r0 .. r0+3, written out rather than a loop over them, so no vector is indexed dynamically.
    let r = min(vec4u(r0) + vec4u(0u, 1u, 2u, 3u), vec4u(rows - 1u));
    let ok = vec4u(r0) + vec4u(0u, 1u, 2u, 3u) < vec4u(rows);
    let t = array(tap_of(r.x), tap_of(r.y), tap_of(r.z), tap_of(r.w));
    var xs: array<vec4f, SG_MAX_LOADS>;
    for (var q = 0u; q < SG_ROWS / SG; q++) {
      xs[q] = vec4f(x_tap(org[q], t[0], ok.x), x_tap(org[q], t[1], ok.y), x_tap(org[q], t[2], ok.z), x_tap(org[q], t[3], ok.w));
    }
    let wi = r * cout4 + co / 4u;
    let w = array(select(vec4f(0.0), b4[wi.x], ok.x), select(vec4f(0.0), b4[wi.y], ok.y),
                  select(vec4f(0.0), b4[wi.z], ok.z), select(vec4f(0.0), b4[wi.w], ok.w));
    sg_fma(&acc, xs, w);
  }
  forward_store(&acc, pix0, col, co, one);
}

@compute @workgroup_size(SG_WG)
fn backward_input_sg(@builtin(local_invocation_index) li: u32, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let pixels = N * H * W;
  let blk = sg_block(li, wid, nwg, CIN);
  let pix0 = blk.x;
  if (pix0 >= pixels) { return; }
  let one = min(nwg.x, 1u);
  let lane = li % SG;
  let col = blk.y + 4u * lane;
  let ci = min(col, CIN - 4u); // this lane's 4 columns (input channels)

  var sy: array<i32, SG_MAX_LOADS>;
  var sx: array<i32, SG_MAX_LOADS>;
  var img: array<u32, SG_MAX_LOADS>;
  for (var q = 0u; q < SG_ROWS / SG; q++) {
    let p = min(pix0 + lane + q * SG, pixels - 1u);
    let ix = p % W;
    let iy = (p / W) % H;
    img[q] = (p / (W * H)) * OH;
    sy[q] = i32(iy + PAD_TOP);
    sx[q] = i32(ix + PAD_LEFT);
  }

  var acc: SgBlock;
  let cout4 = COUT / 4u;
  for (var tap = 0u; tap < KH * KW * one; tap++) {
    let ky = i32(tap / KW);
    let kx = i32(tap % KW);
    var at: array<u32, SG_MAX_LOADS>;
    var hit: array<bool, SG_MAX_LOADS>;
    for (var q = 0u; q < SG_ROWS / SG; q++) {
      let ty = sy[q] - ky;
      let tx = sx[q] - kx;
      let oy = u32(max(ty, 0)) / STRIDE;
      let ox = u32(max(tx, 0)) / STRIDE;
      hit[q] = ty >= 0 && tx >= 0 && oy * STRIDE == u32(ty) && ox * STRIDE == u32(tx) && oy < OH && ox < OW;
      at[q] = select(0u, ((img[q] + oy) * OW + ox) * cout4, hit[q]);
    }
    // w[tap, ci + j, co .. co+3] for the lane's 4 columns j: vec4s along the reduction, transposed below.
    let wrow = (tap * CIN + ci) * cout4;
    for (var c4i = 0u; c4i < cout4 * one; c4i++) {
      var xs: array<vec4f, SG_MAX_LOADS>;
      for (var q = 0u; q < SG_ROWS / SG; q++) { xs[q] = select(vec4f(0.0), a4[at[q] + c4i], hit[q]); }
      let wi = wrow + c4i;
      let w0 = b4[wi];
      let w1 = b4[wi + cout4];
      let w2 = b4[wi + 2u * cout4];
      let w3 = b4[wi + 3u * cout4];
      sg_fma(&acc, xs, array(vec4f(w0.x, w1.x, w2.x, w3.x), vec4f(w0.y, w1.y, w2.y, w3.y),
                             vec4f(w0.z, w1.z, w2.z, w3.z), vec4f(w0.w, w1.w, w2.w, w3.w)));
    }
  }

  if (col >= CIN) { return; }
  for (var i = 0u; i < SG_ROWS * one; i++) {
    let p = pix0 + i;
    if (p >= pixels) { break; }
    let o = (p * CIN + ci) / 4u;
    var g = sg_pick(&acc, i);
    if (GATE) {
      let y = extra4[o];
      g *= vec4f(activate_grad(y.x, ACT), activate_grad(y.y, ACT), activate_grad(y.z, ACT), activate_grad(y.w, ACT));
    }
    c4[o] = g;
  }
}

// Needs CIN % SG_ROWS == 0: the block's rows are SG_ROWS consecutive channels of one tap, as in
// filter_one_tap. The reduction runs over output pixels: per step, lane l loads the vec4 of channels
// 4(l % LP) .. +3 (LP = SG_ROWS / 4 lanes per pixel) at pixel ox + l / LP, so one step covers
// PS = 8 / LP pixels, and its own 4 columns of dy at each of them.
@compute @workgroup_size(SG_WG)
fn backward_filter_sg(@builtin(local_invocation_index) li: u32, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let taps = KH * KW * CIN;
  let blk = sg_block(li, wid, nwg, COUT);
  let row0 = blk.x;
  if (row0 >= taps) { return; }
  let one = min(nwg.x, 1u);
  let lane = li % SG;
  let col = blk.y + 4u * lane;
  let co = min(col, COUT - 4u);
  let lp = SG_ROWS / 4u; // lanes per pixel
  let ps = SG / lp; // pixels per step

  let tap = row0 / CIN;
  let ci0 = row0 % CIN + 4u * (lane % lp); // this lane's 4 channels
  let my_px = lane / lp; // this lane's pixel within a step
  let dy0 = i32(PAD_TOP) - i32(tap / KW);
  let dx0 = i32(PAD_LEFT) - i32(tap % KW);
  let oy_lo = (u32(max(dy0, 0)) + STRIDE - 1u) / STRIDE;
  let ox_lo = (u32(max(dx0, 0)) + STRIDE - 1u) / STRIDE;
  let last_y = i32(H) - 1 + dy0;
  let last_x = i32(W) - 1 + dx0;
  let oy_hi = select(0u, min(u32(last_y) / STRIDE + 1u, OH), last_y >= 0);
  let ox_hi = select(0u, min(u32(last_x) / STRIDE + 1u, OW), last_x >= 0);
  let cin4 = CIN / 4u;
  let cout4 = COUT / 4u;

  var acc: SgBlock;
  if (ox_lo < ox_hi) {
    for (var n = 0u; n < N * one; n++) {
      for (var oy = oy_lo; oy < oy_hi; oy++) {
        let xrow = (n * H + u32(i32(oy * STRIDE) - dy0)) * W;
        let drow = (n * OH + oy) * OW;
        for (var ox = ox_lo; ox < ox_hi; ox += ps) {
          let mx = ox + my_px;
          let xo = min(mx, ox_hi - 1u);
          let xv = select(vec4f(0.0), a4[(xrow + u32(i32(xo * STRIDE) - dx0)) * cin4 + ci0 / 4u], mx < ox_hi);
          let xb = bcast8(xv);
          for (var pp = 0u; pp < ps; pp++) {
            let dv = b4[(drow + min(ox + pp, ox_hi - 1u)) * cout4 + co / 4u];
            for (var r4 = 0u; r4 < lp; r4++) {
              let x4 = xb[pp * lp + r4];
              acc[4u * r4] = fma(vec4f(x4.x), dv, acc[4u * r4]);
              acc[4u * r4 + 1u] = fma(vec4f(x4.y), dv, acc[4u * r4 + 1u]);
              acc[4u * r4 + 2u] = fma(vec4f(x4.z), dv, acc[4u * r4 + 2u]);
              acc[4u * r4 + 3u] = fma(vec4f(x4.w), dv, acc[4u * r4 + 3u]);
            }
          }
        }
      }
    }
  }

  if (col >= COUT) { return; }
  for (var i = 0u; i < SG_ROWS * one; i++) {
    c4[((row0 + i) * COUT + co) / 4u] = sg_pick(&acc, i);
  }
}

// Any CIN (conv2d.ts uses it where CIN % 4 != 0, e.g. CIN = 1: 9 rows x COUT
// columns, reduced over every output pixel). Rows are SG_ROWS (4, 8 or 12: 16 spills) flattened taps
// r = (ky*KW + kx)*CIN + ci, as in filter_any_taps; rows past the end duplicate the last and are not
// stored. Per step of 8 output pixels, lane l gathers the block's rows of x at pixel p0 + l as
// scalars (x_tap) and broadcasts them; each lane loads its 4 columns of dy at the 8 pixels.
@compute @workgroup_size(SG_WG)
fn backward_filter_flat_sg(@builtin(local_invocation_index) li: u32, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let rows = KH * KW * CIN;
  let blk = sg_block(li, wid, nwg, COUT);
  let row0 = blk.x;
  if (row0 >= rows) { return; }
  let one = min(nwg.x, 1u);
  let lane = li % SG;
  let col = blk.y + 4u * lane;
  let co = min(col, COUT - 4u);

  var taps: array<vec3i, SG_MAX_ROWS>;
  for (var i = 0u; i < SG_ROWS; i++) { taps[i] = tap_of(min(row0 + i, rows - 1u)); }
  let last = rows - row0; // rows i >= last are past the end: zero

  let pixels = N * OH * OW;
  let cout4 = COUT / 4u;
  var acc: SgBlock;
  for (var p0 = 0u; p0 < pixels * one; p0 += SG) {
    let p = p0 + lane;
    let o = pixel_origin(min(p, pixels - 1u));
    var xs: array<vec4f, SG_MAX_ROWS / 4u>; // xs[q][k]: row 4q + k at this lane's pixel
    for (var i = 0u; i < SG_ROWS; i++) { xs[i / 4u][i % 4u] = x_tap(o, taps[i], p < pixels && i < last); }
    var dv: array<vec4f, SG>; // dy at the step's 8 pixels (x is zero past the last, so clamping is safe)
    for (var m = 0u; m < SG; m++) { dv[m] = b4[min(p0 + m, pixels - 1u) * cout4 + co / 4u]; }
    for (var q = 0u; q < SG_ROWS / 4u; q++) {
      let xb = bcast8(xs[q]);
      for (var m = 0u; m < SG; m++) {
        acc[4u * q] = fma(vec4f(xb[m].x), dv[m], acc[4u * q]);
        acc[4u * q + 1u] = fma(vec4f(xb[m].y), dv[m], acc[4u * q + 1u]);
        acc[4u * q + 2u] = fma(vec4f(xb[m].z), dv[m], acc[4u * q + 2u]);
        acc[4u * q + 3u] = fma(vec4f(xb[m].w), dv[m], acc[4u * q + 3u]);
      }
    }
  }

  if (col >= COUT) { return; }
  for (var i = 0u; i < SG_ROWS * one; i++) {
    if (row0 + i >= rows) { break; }
    c4[((row0 + i) * COUT + co) / 4u] = sg_pick(&acc, i);
  }
}
