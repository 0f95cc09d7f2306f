// Activation functions shared by every kernel that fuses one into its epilogue.
// Derivatives are written in terms of the activation's output y, so a backward pass needs only the
// forward output, never the pre-activation.

const ACT_NONE: u32 = 0u;
const ACT_RELU: u32 = 1u;
const ACT_SIGMOID: u32 = 2u;

fn activate(x: f32, act: u32) -> f32 {
  switch act {
    case ACT_RELU: { return max(x, 0.0); }
    case ACT_SIGMOID: { return 1.0 / (1.0 + exp(-x)); }
    default: { return x; }
  }
}

fn activate_grad(y: f32, act: u32) -> f32 {
  switch act {
    case ACT_RELU: { return select(0.0, 1.0, y > 0.0); }
    case ACT_SIGMOID: { return y * (1.0 - y); }
    default: { return 1.0; }
  }
}

fn activate_grad4(y: vec4f, act: u32) -> vec4f {
  return vec4f(activate_grad(y.x, act), activate_grad(y.y, act), activate_grad(y.z, act), activate_grad(y.w, act));
}
