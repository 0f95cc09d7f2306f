//! requires: step
// Builds one batch on the GPU from a dataset that lives there as bytes: x[r, p] =
// byte(order[batch_start + r], p) * scale[p] + shift[p], and its labels. A step uploads nothing
// but the 16-byte Step uniform. Rows past `rows` (the short last batch) repeat the last real row,
// so they hold finite values; the loss gives them zero weight.

override PIXELS: u32;
override BATCH: u32;
override WG: u32 = 256u;

@group(0) @binding(0) var<storage, read> images: array<u32>; // bytes, four per word
@group(0) @binding(1) var<storage, read> labels: array<u32>; // bytes, four per word
@group(0) @binding(2) var<storage, read> order: array<u32>;
@group(0) @binding(3) var<storage, read> affine: array<f32>; // scale[PIXELS], then shift[PIXELS]
@group(0) @binding(4) var<storage, read_write> x: array<f32>;
@group(0) @binding(5) var<storage, read_write> y: array<u32>;
@group(0) @binding(6) var<uniform> step: Step;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= BATCH * PIXELS) { return; }
  let r = i / PIXELS;
  let p = i - r * PIXELS;
  let example = order[step.batch_start + min(r, step.rows - 1u)];
  let at = example * PIXELS + p;
  let pixel = (images[at >> 2u] >> ((at & 3u) * 8u)) & 0xffu;
  x[i] = f32(pixel) * affine[p] + affine[PIXELS + p];
  if (p == 0u) {
    y[r] = (labels[example >> 2u] >> ((example & 3u) * 8u)) & 0xffu;
  }
}
