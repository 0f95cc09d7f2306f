// matmul's v-operand (binding 1) as f32s: v_scalar(i) is element i, v_vec4(i) the i-th group of four.
// Two views of one binding; each entry point uses one of them.
@group(0) @binding(1) var<storage, read> v_op: array<f32>;
@group(0) @binding(1) var<storage, read> v_op4: array<vec4f>;
fn v_scalar(i: u32) -> f32 { return v_op[i]; }
fn v_vec4(i: u32) -> vec4f { return v_op4[i]; }
