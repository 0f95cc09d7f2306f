// matmul_u.wgsl's interface over packed f16 pairs: the u-operand (binding 0) as vec2<u32>s of four
// halves each, starting U_HALF_AT groups of four into the binding (the f16 copy of a model's
// weights in mixed precision is bound whole: its tensors sit at 128-byte, not 256-byte, offsets).
// Loads are half as wide as f32's, which is what pays on lavapipe (bench/NOTES.md); arithmetic
// stays f32.
override U_HALF_AT: u32 = 0u;
@group(0) @binding(0) var<storage, read> u_half: array<vec2u>;
fn u_vec4(i: u32) -> vec4f {
  let p = u_half[U_HALF_AT + i];
  return vec4f(unpack2x16float(p.x), unpack2x16float(p.y));
}
fn u_scalar(i: u32) -> f32 { return u_vec4(i / 4u)[i % 4u]; }
