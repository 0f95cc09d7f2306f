//! requires: conv2d, tiled_gemm
// conv2d.wgsl's three implicit GEMMs as tiled_gemm.wgsl's workgroup-shared-memory tiled GEMM, one
// entry point (`tiled`) with the pass chosen by PASS: the candidate for adapters where workgroup
// memory is fast (real GPUs). Same overrides, bindings and epilogues as conv2d.wgsl; the reduction
// index runs in the order of its 8x8 entry points (forward: r = (ky·KW + kx)·CIN + ci; input
// gradient: r = (ky·KW + kx)·COUT + co; filter gradient: the output pixel q = (n·OH + oy)·OW + ox).

override PASS: u32 = 0u; // 0: forward, 1: backward_input, 2: backward_filter

override GEMM_ROWS: u32 = select(select(KH * KW * CIN, N * H * W, PASS == 1u), N * OH * OW, PASS == 0u);
override GEMM_COLS: u32 = select(COUT, CIN, PASS == 1u);
override GEMM_DEPTH: u32 = select(select(N * OH * OW, KH * KW * COUT, PASS == 1u), KH * KW * CIN, PASS == 0u);
// x and dy are channel-contiguous: along the reduction for the forward (ci) and input gradient (co),
// along the rows for the filter gradient (ci). The weights run along COUT: the forward's columns,
// the input gradient's reduction; dy, the filter gradient's b, along its columns.
override A_ALONG_DEPTH: bool = PASS != 2u;
override B_ALONG_DEPTH: bool = PASS == 1u;

// x[n, iy, ix, ci] at the tap (ky, kx) of output pixel q, 0 outside the image.
fn x_at(q: u32, tap: u32, ci: u32) -> f32 {
  let ox = q % OW;
  let oy = (q / OW) % OH;
  let n = q / (OW * OH);
  let iy = i32(oy * STRIDE + tap / KW) - i32(PAD_TOP);
  let ix = i32(ox * STRIDE + tap % KW) - i32(PAD_LEFT);
  let inside = iy >= 0 && iy < i32(H) && ix >= 0 && ix < i32(W);
  return select(0.0, a[select(0u, ((n * H + u32(iy)) * W + u32(ix)) * CIN + ci, inside)], inside);
}

// dy[n, oy, ox, co] of the output pixel whose tap read input pixel p, 0 if none did.
fn dy_at(p: u32, tap: u32, co: u32) -> f32 {
  let ix = p % W;
  let iy = (p / W) % H;
  let n = p / (W * H);
  let ty = i32(iy + PAD_TOP) - i32(tap / KW);
  let tx = i32(ix + PAD_LEFT) - i32(tap % KW);
  let oy = u32(max(ty, 0)) / STRIDE;
  let ox = u32(max(tx, 0)) / STRIDE;
  let hit = ty >= 0 && tx >= 0 && oy * STRIDE == u32(ty) && ox * STRIDE == u32(tx) && oy < OH && ox < OW;
  return select(0.0, a[select(0u, ((n * OH + oy) * OW + ox) * COUT + co, hit)], hit);
}

fn gemm_a(row: u32, d: u32) -> f32 {
  if (PASS == 0u) { return x_at(row, d / CIN, d % CIN); }
  if (PASS == 1u) { return dy_at(row, d / COUT, d % COUT); }
  return x_at(d, row / CIN, row % CIN);
}

fn gemm_b(d: u32, col: u32) -> f32 {
  if (PASS == 0u) { return b[d * COUT + col]; } // w[r, co]
  if (PASS == 1u) { return b[((d / COUT) * CIN + col) * COUT + d % COUT]; } // w[tap, ci, co]
  return b[d * COUT + col]; // dy[q, co]
}

@compute @workgroup_size(TILE_X, TILE_Y)
fn tiled(
  @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
  @builtin(local_invocation_id) lid: vec3u, @builtin(local_invocation_index) li: u32,
) {
  let origin = tile_origin(wid, nwg);
  var acc: TileAcc;
  tiled_gemm(&acc, origin, lid, li);
  let row0 = origin.x + lid.y * TILE_R;
  let col0 = origin.y + lid.x * 4u;
  for (var i = 0u; i < TILE_R; i++) {
    let row = row0 + i;
    if (row >= GEMM_ROWS) { break; }
    for (var j = 0u; j < 4u; j++) {
      let col = col0 + j;
      if (col >= GEMM_COLS) { break; }
      var v = acc[i][j];
      if (PASS == 0u) {
        if (HAS_BIAS) { v += extra[col]; }
        v = activate(v, ACT);
      } else if (PASS == 1u && GATE) {
        v *= activate_grad(extra[row * CIN + col], ACT);
      }
      c[row * GEMM_COLS + col] = v;
    }
  }
}
