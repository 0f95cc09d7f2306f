//! requires: random
// Parameter initialisers, run once before training, writing one tensor's range of the parameter
// buffer: dst[offset + i] for i < count.
//
//   INIT_FILL            dst = value                        (Keras' `zeros` for biases, `ones`, ...)
//   INIT_GLOROT_UNIFORM  dst = (2u - 1) * limit, u in [0,1) (Keras' `glorot_uniform`)
//
// u is unit_float(pcg4d(seed, tensor, i, 0).x): a pure function of the seed, the tensor's id and
// the element's index within the tensor (not its offset in the buffer), so a tensor's values do not
// depend on where the memory planner puts it, and test/oracle/optim.ts reproduces them exactly.
// limit = sqrt(6 / (fan_in + fan_out)) is formed on the CPU in float64.
//
// Everything that varies per tensor is in the uniform, not in override constants: initialisation
// runs once per model, so one compiled pipeline for all tensors beats a specialisation per tensor
// (each pipeline costs a compile on a software adapter), and the branch on `kind` is uniform.

const INIT_FILL: u32 = 0u;
const INIT_GLOROT_UNIFORM: u32 = 1u;

override WG: u32 = 256u;

struct InitParams {
  kind: u32,
  offset: u32, // first element of the tensor in dst
  count: u32,
  seed: u32,
  tensor: u32,
  value: f32, // INIT_FILL: the value; INIT_GLOROT_UNIFORM: the limit
}

@group(0) @binding(0) var<storage, read_write> dst: array<f32>;
@group(0) @binding(1) var<uniform> init: InitParams;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= init.count) { return; }
  var x = init.value;
  if (init.kind == INIT_GLOROT_UNIFORM) {
    let u = unit_float(pcg4d(vec4u(init.seed, init.tensor, i, 0u)).x);
    x = (2.0 * u - 1.0) * init.value;
  }
  dst[init.offset + i] = x;
}
