//! requires: random, step, activation_fns
// Inverted dropout: y = x * mask / (1 - rate), mask[i] = 1 with probability 1 - rate.
//
// The mask is never stored. Element i's decision is lane i % 4 of one hash per four adjacent
// elements, dropout_keep4 in random.wgsl, so the CPU twin in test/oracle/loss.ts decides
// bit-for-bit the same on any device. (A dropout layer right before a max-pool runs no kernel of its
// own: maxpool.wgsl applies the same mask as it reads; src/graph/compile.ts decides.) Forward and backward are the same product with the same mask
// (dx = dy * mask / (1 - rate)), so one entry point serves both: the backward pass simply runs it
// again with the same seed and step. Seed and step come from the step uniform (shaders/step.wgsl),
// which the training loop rewrites with queue.writeBuffer: no pipeline or bind group per step.
//
// In place: WebGPU forbids binding one buffer range as both a read-only and a writable storage
// binding of a dispatch, so the in-place entry points read and write their single read_write
// binding instead of pairing `src` with `dst`.
//
// Two shapes of each entry point, because the bindings' element types differ: `apply` and
// `apply_in_place` take array<f32> and any COUNT; the `_vec4` ones take array<vec4f> (COUNT % 4 == 0,
// as every conv and dense layer of the seed models has) and move each invocation's four elements
// with one load and one store: on a SIMD-on-CPU adapter every storage access is a per-lane loop, so
// that is ~3x fewer memory instructions (bench/NOTES.md, "dropout").

override COUNT: u32;
override STREAM: u32 = 0u;  // the layer's id: distinct dropout layers draw independent masks
override THRESHOLD: u32;    // keep iff (hash >> 8) >= THRESHOLD
override SCALE: f32;        // 1 / (1 - rate)
override WG: u32 = 256u;
// Backward only: also multiply by activate_grad(gate_y, GATE_ACT), the derivative of the activation
// that produced the dropout's input, so the gradient needs no separate activation pass.
override GATE_ACT: u32 = ACT_NONE;

// Bindings ordered so each entry point uses a prefix: in place 0-1, the others 0-3.
@group(0) @binding(0) var<uniform> step: Step; // seed and step are read
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;
@group(0) @binding(2) var<storage, read> src: array<f32>;
@group(0) @binding(3) var<storage, read> gate_y: array<f32>; // GATE_ACT != ACT_NONE: the activation's output
@group(0) @binding(1) var<storage, read_write> dst4: array<vec4f>;
@group(0) @binding(2) var<storage, read> src4: array<vec4f>;
@group(0) @binding(3) var<storage, read> gate_y4: array<vec4f>;

/** Which of the four elements 4t .. 4t+3 the mask keeps. */
fn keep4(t: u32) -> vec4<bool> {
  return dropout_keep4(step.seed, step.step, t, STREAM, THRESHOLD);
}

/**
 * Elements 4t .. 4t+3 after dropout, times `grad` (the gate's derivative, or 1). A select, not a
 * multiply by 0: a dropped element is exactly 0 even where x is not finite.
 */
fn drop4(t: u32, x: vec4f, grad: vec4f) -> vec4f {
  return select(vec4f(0.0), x * SCALE * grad, keep4(t));
}

/** Invocation t owns elements 4t .. 4t+3 (linearGrid over COUNT / 4). */
fn group_index(gid: vec3u, nwg: vec3u) -> u32 {
  return gid.x + gid.y * nwg.x * WG;
}

@compute @workgroup_size(WG)
fn apply(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = group_index(gid, nwg);
  let i = t * 4u;
  if (i >= COUNT) { return; }
  var x = vec4f(0.0);
  var y = vec4f(0.0);
  for (var k = 0u; k < 4u; k++) {
    if (i + k < COUNT) {
      x[k] = src[i + k];
      if (GATE_ACT != ACT_NONE) { y[k] = gate_y[i + k]; }
    }
  }
  let out = drop4(t, x, activate_grad4(y, GATE_ACT));
  for (var k = 0u; k < 4u; k++) {
    if (i + k < COUNT) { dst[i + k] = out[k]; }
  }
}

@compute @workgroup_size(WG)
fn apply_in_place(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = group_index(gid, nwg);
  let i = t * 4u;
  if (i >= COUNT) { return; }
  var x = vec4f(0.0);
  for (var k = 0u; k < 4u; k++) {
    if (i + k < COUNT) { x[k] = dst[i + k]; }
  }
  let out = drop4(t, x, vec4f(1.0));
  for (var k = 0u; k < 4u; k++) {
    if (i + k < COUNT) { dst[i + k] = out[k]; }
  }
}

@compute @workgroup_size(WG)
fn apply_vec4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = group_index(gid, nwg);
  if (t * 4u >= COUNT) { return; }
  var grad = vec4f(1.0);
  if (GATE_ACT != ACT_NONE) { grad = activate_grad4(gate_y4[t], GATE_ACT); }
  dst4[t] = drop4(t, src4[t], grad);
}

@compute @workgroup_size(WG)
fn apply_in_place_vec4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = group_index(gid, nwg);
  if (t * 4u >= COUNT) { return; }
  dst4[t] = drop4(t, dst4[t], vec4f(1.0));
}
