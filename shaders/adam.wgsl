//! requires: half_pack
// Adam, exactly as Keras computes it (Keras 3 `keras/src/optimizers/adam.py`, `update_step`; the
// same arithmetic as TF2's `tf.keras.optimizers.Adam`, whose ApplyAdam kernel in
// tensorflow/core/kernels/training_ops.cc does it in this order):
//
//   alpha_t = lr * sqrt(1 - beta2^t) / (1 - beta1^t)          (t = 1 on the first step)
//   m      += (g - m) * (1 - beta1)                           (= beta1*m + (1-beta1)*g)
//   v      += (g*g - v) * (1 - beta2)                         (= beta2*v + (1-beta2)*g^2)
//   p      -= alpha_t * m / (sqrt(v) + epsilon)
//
// Epsilon is added to sqrt(v) of the *uncorrected* v and is not rescaled: Keras' epsilon is the
// "epsilon hat" of Kingma & Ba (2015), end of section 2. In the paper's own notation this is
// p -= lr * m_hat / (sqrt(v_hat) + epsilon / sqrt(1 - beta2^t)). (PyTorch's Adam differs: it adds
// epsilon to sqrt(v_hat), i.e. epsilon * sqrt(1 - beta2^t) here.)
//
// alpha_t arrives precomputed in the per-step uniform: the CPU forms it in float64 and rounds once
// (src/kernels/optimizer.ts, writeAdamStep), within ~3e-8 of exact. In f32, 1 - beta2^t loses three
// of its seven digits to cancellation at small t, and WGSL's pow is only specified as
// exp2(t * log2(beta)): computed here it was 5e-5 off on lavapipe at t = 1 (Keras' own f32 version,
// with a correctly rounded pow, is up to 1e-5 off for the first ~1000 steps).
// ONE_MINUS_BETA1/2 also come from float64, as in Keras 3 (`1 - self.beta_1` is a Python float):
// 1.0 - f32(0.999) in f32 is 1.3e-5 (relative) away from 0.001.

// One dispatch over the whole parameter count: parameters, gradients, m and v are four buffers with
// the same layout, updated in place. `main_vec4` (COUNT % 4 == 0, as the scheduler's 64-element
// aligned parameter buffer always is) moves four parameters per load and store, which is what
// costs on a SIMD-on-CPU adapter; `main` serves any COUNT. Both run the same `update`.

override COUNT: u32;
override BETA1: f32 = 0.9;
override BETA2: f32 = 0.999;
override EPSILON: f32 = 1e-7;
// Set by the TypeScript side to (1 - beta) computed in float64; the defaults are only a fallback.
override ONE_MINUS_BETA1: f32 = 1.0 - BETA1;
override ONE_MINUS_BETA2: f32 = 1.0 - BETA2;
override WG: u32 = 256u;

struct AdamStep {
  alpha: f32, // lr * sqrt(1 - beta2^t) / (1 - beta1^t), from float64
}

@group(0) @binding(0) var<storage, read_write> params: array<f32>;
@group(0) @binding(1) var<storage, read> grads: array<f32>;
@group(0) @binding(2) var<storage, read_write> m: array<f32>;
@group(0) @binding(3) var<storage, read_write> v: array<f32>;
@group(0) @binding(4) var<uniform> step: AdamStep;
@group(0) @binding(0) var<storage, read_write> params4: array<vec4f>;
@group(0) @binding(1) var<storage, read> grads4: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> m4: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> v4: array<vec4f>;
@group(0) @binding(5) var<storage, read_write> params_half: array<vec2u>; // main_vec4_half: the f16 copy

struct Moments {
  m: vec4f,
  v: vec4f,
  dp: vec4f, // what to subtract from the parameters
}

fn update(g: vec4f, m_old: vec4f, v_old: vec4f) -> Moments {
  let mi = m_old + (g - m_old) * ONE_MINUS_BETA1;
  let vi = v_old + (g * g - v_old) * ONE_MINUS_BETA2;
  return Moments(mi, vi, step.alpha * mi / (sqrt(vi) + EPSILON));
}

fn index(gid: vec3u, nwg: vec3u) -> u32 {
  return gid.x + gid.y * nwg.x * WG;
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i >= COUNT) { return; }
  let u = update(vec4f(grads[i]), vec4f(m[i]), vec4f(v[i]));
  m[i] = u.m.x;
  v[i] = u.v.x;
  params[i] -= u.dp.x;
}

// Updates parameters 4i..4i+3 with their moments and returns them.
fn update4(i: u32) -> vec4f {
  let u = update(grads4[i], m4[i], v4[i]);
  m4[i] = u.m;
  v4[i] = u.v;
  let p = params4[i] - u.dp;
  params4[i] = p;
  return p;
}

@compute @workgroup_size(WG)
fn main_vec4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i * 4u < COUNT) { _ = update4(i); }
}

// main_vec4 that also writes the updated parameters' f16 copy (mixed precision).
@compute @workgroup_size(WG)
fn main_vec4_half(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i * 4u < COUNT) { params_half[i] = pack4(update4(i)); }
}
