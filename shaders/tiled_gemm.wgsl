// The classic workgroup-shared-memory tiled GEMM, the way a real GPU wants it: a workgroup of
// TILE_X x TILE_Y lanes owns a TILE_ROWS x TILE_COLS tile of C; per stage of TILE_K reduction steps
// its lanes copy the A tile [TILE_ROWS x TILE_K] and the B tile [TILE_K x TILE_COLS] into workgroup
// memory together (consecutive lanes reading consecutive addresses of each operand, so the loads
// coalesce), wait at a barrier, and each lane accumulates its TILE_R rows x 4 columns from there.
// Every operand element is read from storage once per workgroup instead of once per lane.
//
// Shared by matmul_tiled.wgsl and conv2d_tiled.wgsl, which say what the operands are by defining:
//   override GEMM_ROWS, GEMM_COLS, GEMM_DEPTH: u32   C is ROWS x COLS, the reduction DEPTH long
//   override A_ALONG_DEPTH, B_ALONG_DEPTH: bool      whether consecutive addresses of the operand
//                                                    run along the reduction (else along rows/cols)
//   fn gemm_a(row, d) -> f32, fn gemm_b(d, col) -> f32   one element (in range: callers clamp)
// and run tiled_gemm() from their entry point with @workgroup_size(TILE_X, TILE_Y).
//
// The sum over d runs in ascending order with one fma per step, as in matmul.wgsl's entry points;
// steps past GEMM_DEPTH add 0·0.

override TILE_X: u32 = 8u; // lanes along the columns; each owns 4 adjacent columns
override TILE_Y: u32 = 8u; // lanes along the rows; each owns TILE_R adjacent rows
override TILE_R: u32 = 4u; // rows per lane, at most MAX_TILE_R
override TILE_K: u32 = 8u; // reduction steps per stage
override TILE_ROWS: u32 = TILE_Y * TILE_R;
override TILE_COLS: u32 = TILE_X * 4u;

const MAX_TILE_R = 16u;
alias TileAcc = array<vec4f, MAX_TILE_R>;

var<workgroup> tile_a: array<f32, TILE_K * TILE_ROWS>; // [d][row]
var<workgroup> tile_b: array<vec4f, TILE_K * TILE_X>; // [d][column / 4]

// First row and column of the workgroup's tile; row tiles fold over y and z past 65,535 workgroups.
fn tile_origin(wid: vec3u, nwg: vec3u) -> vec2u {
  return vec2u((wid.y + wid.z * nwg.y) * TILE_ROWS, wid.x * TILE_COLS);
}

fn tiled_gemm(acc: ptr<function, TileAcc>, origin: vec2u, lid: vec3u, li: u32) {
  let lanes = TILE_X * TILE_Y;
  let stages = (GEMM_DEPTH + TILE_K - 1u) / TILE_K;
  for (var s = 0u; s < stages; s++) {
    let d0 = s * TILE_K;
    for (var e = li; e < TILE_K * TILE_ROWS; e += lanes) {
      let r = select(e % TILE_ROWS, e / TILE_K, A_ALONG_DEPTH);
      let d = select(e / TILE_ROWS, e % TILE_K, A_ALONG_DEPTH);
      let row = origin.x + r;
      let inside = row < GEMM_ROWS && d0 + d < GEMM_DEPTH;
      tile_a[d * TILE_ROWS + r] = select(0.0, gemm_a(min(row, GEMM_ROWS - 1u), min(d0 + d, GEMM_DEPTH - 1u)), inside);
    }
    for (var e = li; e < TILE_K * TILE_COLS; e += lanes) {
      let j = select(e % TILE_COLS, e / TILE_K, B_ALONG_DEPTH);
      let d = select(e / TILE_COLS, e % TILE_K, B_ALONG_DEPTH);
      let col = origin.y + j;
      let inside = col < GEMM_COLS && d0 + d < GEMM_DEPTH;
      tile_b[d * TILE_X + j / 4u][j % 4u] = select(0.0, gemm_b(min(d0 + d, GEMM_DEPTH - 1u), min(col, GEMM_COLS - 1u)), inside);
    }
    workgroupBarrier();
    for (var d = 0u; d < TILE_K; d++) {
      let bv = tile_b[d * TILE_X + lid.x];
      for (var r = 0u; r < TILE_R; r++) {
        (*acc)[r] = fma(vec4f(tile_a[d * TILE_ROWS + lid.y * TILE_R + r]), bv, (*acc)[r]);
      }
    }
    workgroupBarrier();
  }
}
