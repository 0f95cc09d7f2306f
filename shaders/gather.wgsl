//! requires: step
// Builds one batch on the GPU from a dataset that lives there as stored (bytes, or f32 when
// FLOAT_PIXELS): x[r, p] = pixel(order[batch_start + r], p) * scale[p] + shift[p], and its u32
// labels. A step uploads nothing but the 16-byte Step uniform. Rows past `rows` (the short last batch) repeat the last real row,
// so they hold finite values; the loss gives them zero weight.
//
// `main` writes one pixel per invocation; `main_vec4` (PIXELS % 4 == 0, as 28x28 is) writes four
// from one word of bytes (or four f32 words), with vec4 affine loads and one vec4 store: on a SIMD-on-CPU adapter each
// storage access is a per-lane loop, so that is ~4x fewer of them.

override PIXELS: u32;
override BATCH: u32;
override WG: u32 = 256u;
override FLOAT_PIXELS: bool = false;

@group(0) @binding(0) var<storage, read> images: array<u32>; // bytes, four per word; or f32 bits
@group(0) @binding(1) var<storage, read> labels: array<u32>;
@group(0) @binding(2) var<storage, read> order: array<u32>;
@group(0) @binding(3) var<storage, read> affine: array<f32>; // scale[PIXELS], then shift[PIXELS]
@group(0) @binding(4) var<storage, read_write> x: array<f32>;
@group(0) @binding(5) var<storage, read_write> y: array<u32>;
@group(0) @binding(6) var<uniform> step: Step;
@group(0) @binding(3) var<storage, read> affine4: array<vec4f>;
@group(0) @binding(4) var<storage, read_write> x4: array<vec4f>;

/** The dataset index of batch row r (the short last batch repeats its last real row). */
fn example_of(r: u32) -> u32 {
  return order[step.batch_start + min(r, step.rows - 1u)];
}

fn pixel_at(at: u32) -> f32 {
  if (FLOAT_PIXELS) { return bitcast<f32>(images[at]); }
  return f32((images[at >> 2u] >> ((at & 3u) * 8u)) & 0xffu);
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= BATCH * PIXELS) { return; }
  let r = i / PIXELS;
  let p = i - r * PIXELS;
  let example = example_of(r);
  x[i] = pixel_at(example * PIXELS + p) * affine[p] + affine[PIXELS + p];
  if (p == 0u) { y[r] = labels[example]; }
}

@compute @workgroup_size(WG)
fn main_vec4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let q = gid.x + gid.y * nwg.x * WG; // pixels 4q .. 4q+3 of the batch
  let quads = PIXELS / 4u;
  if (q >= BATCH * quads) { return; }
  let r = q / quads;
  let p4 = q - r * quads;
  let example = example_of(r);
  var pixels: vec4f;
  if (FLOAT_PIXELS) {
    let at = (example * quads + p4) * 4u;
    pixels = bitcast<vec4f>(vec4u(images[at], images[at + 1u], images[at + 2u], images[at + 3u]));
  } else {
    let word = images[example * quads + p4]; // PIXELS % 4 == 0: an image's pixels start on a word
    pixels = vec4f((vec4u(word) >> vec4u(0u, 8u, 16u, 24u)) & vec4u(0xffu));
  }
  x4[q] = pixels * affine4[p4] + affine4[quads + p4];
  if (p4 == 0u) { y[r] = labels[example]; }
}
