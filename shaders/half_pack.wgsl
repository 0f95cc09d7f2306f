// Four f32s as four f16s in a vec2<u32> (the layout matmul_u_half / matmul_v_half read), each one of
// the two halves around it (WGSL leaves the rounding to the implementation; lavapipe rounds to
// nearest, SwiftShader rounds subnormal halves toward zero). Values
// past f16's range saturate at ±65504 instead of becoming WGSL's indeterminate value.
const HALF_MAX: f32 = 65504.0;
fn pack4(x: vec4f) -> vec2u {
  let c = clamp(x, vec4f(-HALF_MAX), vec4f(HALF_MAX));
  return vec2u(pack2x16float(c.xy), pack2x16float(c.zw));
}
