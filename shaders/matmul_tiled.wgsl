//! requires: matmul, tiled_gemm
// matmul.wgsl's product as tiled_gemm.wgsl's workgroup-shared-memory tiled GEMM (entry main_tiled):
// the candidate for adapters where workgroup memory is fast (real GPUs). Same overrides, bindings
// and epilogue as matmul.wgsl, with SWAP off (u = m, v = n) and TU = TILE_R, so that matmul.wgsl's
// store() writes each lane's TILE_R x 4 block.

override GEMM_ROWS: u32 = M;
override GEMM_COLS: u32 = N;
override GEMM_DEPTH: u32 = K;
override A_ALONG_DEPTH: bool = !TRANS_A;
override B_ALONG_DEPTH: bool = TRANS_B;

fn gemm_a(m: u32, k: u32) -> f32 { return u_scalar(u_at(m, k)); }
fn gemm_b(k: u32, n: u32) -> f32 { return v_scalar(v_at(k, n)); }

@compute @workgroup_size(TILE_X, TILE_Y)
fn main_tiled(
  @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
  @builtin(local_invocation_id) lid: vec3u, @builtin(local_invocation_index) li: u32,
) {
  let origin = tile_origin(wid, nwg);
  var acc: TileAcc;
  tiled_gemm(&acc, origin, lid, li);
  store(&acc, origin.x + lid.y * TILE_R, origin.y + lid.x * 4u);
}
