// matmul's u-operand (binding 0) as f32s: u_scalar(i) is element i, u_vec4(i) the i-th group of four.
// Two views of one binding; each entry point uses one of them.
@group(0) @binding(0) var<storage, read> u_op: array<f32>;
@group(0) @binding(0) var<storage, read> u_op4: array<vec4f>;
fn u_scalar(i: u32) -> f32 { return u_op[i]; }
fn u_vec4(i: u32) -> vec4f { return u_op4[i]; }
