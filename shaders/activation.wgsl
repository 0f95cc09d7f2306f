//! requires: activation_fns
// Stand-alone activation, forward and backward, for when no producing kernel can fuse it.

override ACT: u32 = ACT_RELU;
override COUNT: u32;
override WG: u32 = 256u;

// Each entry point uses a leading run of bindings: `layout: 'auto'` keeps only what it reads.
@group(0) @binding(0) var<storage, read> src: array<f32>;       // forward: x; backward: y (the forward output)
@group(0) @binding(1) var<storage, read_write> dst: array<f32>; // forward: y; backward: dL/dx
@group(0) @binding(2) var<storage, read> grad_out: array<f32>;  // backward only: dL/dy

@compute @workgroup_size(WG)
fn forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= COUNT) { return; }
  dst[i] = activate(src[i], ACT);
}

@compute @workgroup_size(WG)
fn backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= COUNT) { return; }
  dst[i] = grad_out[i] * activate_grad(src[i], ACT);
}
