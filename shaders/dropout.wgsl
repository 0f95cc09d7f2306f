//! requires: random, step, activation_fns
// Inverted dropout: y = x * mask / (1 - rate), mask[i] = 1 with probability 1 - rate.
//
// The mask is never stored. Element i's decision is lane i % 4 of
//   pcg4d(seed, step, i / 4, STREAM)
// (one hash serves four adjacent elements), kept iff its top 24 bits are >= THRESHOLD =
// ceil(rate * 2^24), an integer comparison, so the CPU twin in test/oracle/loss.ts decides
// bit-for-bit the same on any device. Forward and backward are the same product with the same mask
// (dx = dy * mask / (1 - rate)), so one entry point serves both: the backward pass simply runs it
// again with the same seed and step. Seed and step come from the step uniform (shaders/step.wgsl),
// which the training loop rewrites with queue.writeBuffer: no pipeline or bind group per step.
//
// In place: WebGPU forbids binding one buffer range as both a read-only and a writable storage
// binding of a dispatch, so `apply_in_place` reads and writes its single read_write binding instead
// of pairing `src` with `dst`.

override COUNT: u32;
override STREAM: u32 = 0u;  // the layer's id: distinct dropout layers draw independent masks
override THRESHOLD: u32;    // keep iff (hash >> 8) >= THRESHOLD
override SCALE: f32;        // 1 / (1 - rate)
override WG: u32 = 256u;
// Backward only: also multiply by activate_grad(gate_y, GATE_ACT), the derivative of the activation
// that produced the dropout's input, so the gradient needs no separate activation pass.
override GATE_ACT: u32 = ACT_NONE;

// Bindings ordered so each entry point uses a prefix: apply_in_place 0-1, apply 0-3.
@group(0) @binding(0) var<uniform> step: Step; // seed and step are read
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;
@group(0) @binding(2) var<storage, read> src: array<f32>;
@group(0) @binding(3) var<storage, read> gate_y: array<f32>; // GATE_ACT != ACT_NONE: the activation's output

/** Which of the four elements 4t .. 4t+3 the mask keeps. */
fn keep4(t: u32) -> vec4<bool> {
  let h = pcg4d(vec4u(step.seed, step.step, t, STREAM));
  return (h >> vec4u(8u)) >= vec4u(THRESHOLD);
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
  let keep = keep4(t);
  for (var k = 0u; k < 4u; k++) {
    // select, not a multiply by 0: a dropped element is exactly 0 even where x is not finite.
    if (i + k < COUNT) {
      var g = src[i + k] * SCALE;
      if (GATE_ACT != ACT_NONE) { g *= activate_grad(gate_y[i + k], GATE_ACT); }
      dst[i + k] = select(0.0, g, keep[k]);
    }
  }
}

@compute @workgroup_size(WG)
fn apply_in_place(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = group_index(gid, nwg);
  let i = t * 4u;
  if (i >= COUNT) { return; }
  let keep = keep4(t);
  for (var k = 0u; k < 4u; k++) {
    if (i + k < COUNT) { dst[i + k] = select(0.0, dst[i + k] * SCALE, keep[k]); }
  }
}
