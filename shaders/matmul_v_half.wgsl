// matmul_v.wgsl's interface over packed f16 pairs: the v-operand (binding 1) as vec2<u32>s of four
// halves each, starting V_HALF_AT groups of four into the binding (the f16 copy of a model's
// weights in mixed precision is bound whole: its tensors sit at 128-byte, not 256-byte, offsets).
// Loads are half as wide as f32's, which is what pays on lavapipe (bench/NOTES.md); arithmetic
// stays f32.
override V_HALF_AT: u32 = 0u;
@group(0) @binding(1) var<storage, read> v_half: array<vec2u>;
fn v_vec4(i: u32) -> vec4f {
  let p = v_half[V_HALF_AT + i];
  return vec4f(unpack2x16float(p.x), unpack2x16float(p.y));
}
fn v_scalar(i: u32) -> f32 { return v_vec4(i / 4u)[i % 4u]; }
