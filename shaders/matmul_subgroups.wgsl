//! requires: enable_subgroups, matmul
// matmul.wgsl's main_vec4 with the u-operand shared across each 8-lane subgroup: for each block of
// four k, every lane loads one vec4 of U for 8 rows of the subgroup, and subgroupShuffle hands each
// value to all lanes, so U's loads per multiply-add drop eightfold. On lavapipe, where every
// storage load costs a per-lane loop and a shuffle costs one or two instructions, this is ~2.7x
// faster per step (bench/NOTES.md, "matmul"). Needs subgroups of exactly 8 lanes and TU % 8 == 0;
// src/kernels/matmul.ts falls back to main_vec4 otherwise. Helpers, bindings and the epilogue are
// matmul.wgsl's, unchanged.
// U[u0 + i, k + kk] for i < 8, kk < 4, from the vec4 q each lane loaded with u_share_load.
fn u_shared(q: vec4f, i: u32, kk: u32) -> f32 {
  if (U_VEC == VEC_K) { return subgroupShuffle(q[kk], i); } // lane l holds row l, k..k+3
  return subgroupShuffle(q[i % 4u], i / 4u + 2u * kk); // lane l holds rows 4(l%2)..+3 at k + l/2
}

fn u_share_load(u0: u32, k: u32, lane: u32) -> vec4f {
  if (U_VEC == VEC_K) { return u_vec4(u_at(min(u0 + lane, U_DIM - 1u), k) / 4u); }
  let l = lane % 8u;
  return u_vec4(u_at(min(u0 + 4u * (l % 2u), U_DIM - 4u), k + l / 2u) / 4u);
}

@compute @workgroup_size(WG)
fn main_sg(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u, @builtin(subgroup_invocation_id) lane: u32) {
  let u0 = wid.y * TU;
  let v0 = (wid.x * WG + lid.x) * 4u;
  var acc: array<vec4f, MAX_TU>;
  let k4 = K - K % 4u;
  for (var k = 0u; k < k4; k += 4u) {
    let vt = v_tile(v0, k);
    for (var g = 0u; g < TU; g += 8u) {
      let q = u_share_load(u0 + g, k, lane);
      for (var i = 0u; i < 8u; i++) {
        for (var kk = 0u; kk < 4u; kk++) { acc[g + i] = fma(vec4f(u_shared(q, i, kk)), vt[kk], acc[g + i]); }
      }
    }
  }
  let cols = cols4(v0);
  for (var k = k4; k < K; k++) {
    let vk = vec4f(v4_scalar(v_at(k, cols.x)), v4_scalar(v_at(k, cols.y)), v4_scalar(v_at(k, cols.z)), v4_scalar(v_at(k, cols.w)));
    for (var i = 0u; i < TU; i++) { acc[i] = fma(vec4f(u4_scalar(u_at(min(u0 + i, U_DIM - 1u), k))), vk, acc[i]); }
  }
  store(&acc, u0, v0);
}
