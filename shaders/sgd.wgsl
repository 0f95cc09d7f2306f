//! requires: half_pack
// Plain stochastic gradient descent, Keras' `SGD(momentum=0)`: p -= lr * g.
//
// One dispatch updates every parameter of a model: the scheduler keeps all parameters in one f32
// buffer and their gradients in a second with the same layout, so COUNT is the total parameter
// count and the kernel needs no knowledge of tensors. The learning rate is a per-step uniform (the
// training loop rewrites it with queue.writeBuffer), so a schedule never recompiles anything.

// `main_vec4` (COUNT % 4 == 0, as the scheduler's 64-element aligned parameter buffer always is)
// updates four parameters per load and store; `main` serves any COUNT. Each lane loops over the
// grid, so any grid is correct: src/kernels/optimizer.ts gives small updates ~8 items per lane
// (strideGrid; on lavapipe starting a lane costs more than a small update) and large ones one.

override COUNT: u32;
override WG: u32 = 256u;

struct SgdStep {
  lr: f32,
}

@group(0) @binding(0) var<storage, read_write> params: array<f32>;
@group(0) @binding(1) var<storage, read> grads: array<f32>;
@group(0) @binding(2) var<uniform> step: SgdStep;
@group(0) @binding(0) var<storage, read_write> params4: array<vec4f>;
@group(0) @binding(1) var<storage, read> grads4: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> params_half: array<vec2u>; // main_vec4_half: the f16 copy

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let lanes = nwg.x * nwg.y * WG;
  for (var i = gid.x + gid.y * nwg.x * WG; i < COUNT; i += lanes) { params[i] -= step.lr * grads[i]; }
}

@compute @workgroup_size(WG)
fn main_vec4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let lanes = nwg.x * nwg.y * WG;
  for (var i = gid.x + gid.y * nwg.x * WG; i < COUNT / 4u; i += lanes) { params4[i] -= step.lr * grads4[i]; }
}

// main_vec4 that also writes the updated parameters' f16 copy (mixed precision).
@compute @workgroup_size(WG)
fn main_vec4_half(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let lanes = nwg.x * nwg.y * WG;
  for (var i = gid.x + gid.y * nwg.x * WG; i < COUNT / 4u; i += lanes) {
    let p = params4[i] - step.lr * grads4[i];
    params4[i] = p;
    params_half[i] = pack4(p);
  }
}
