//! requires: half_pack
// The f16 copy of a model's f32 weights for mixed precision: dst[i] holds src's values 4i..4i+3 as
// halves. The trainer makes the copy whole at the start of each epoch; the optimisers keep it
// current as they update (sgd.wgsl and adam.wgsl, main_vec4_half).

override COUNT4: u32; // groups of four values
override WG: u32 = 256u;

@group(0) @binding(0) var<storage, read> src: array<vec4f>;
@group(0) @binding(1) var<storage, read_write> dst: array<vec2u>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i < COUNT4) { dst[i] = pack4(src[i]); }
}
