// Counter-based random numbers: a pure function of (seed, stream, counter, index), so the same seed
// gives the same numbers on any device, in any dispatch order, with no state to carry between
// steps. The mixer is pcg4d (Jarzynski & Olano, "Hash Functions for GPU Rendering", JCGT 2020):
// four rounds of an LCG step with cross-lane multiplies, good enough to pass their statistical tests.

fn pcg4d(input: vec4u) -> vec4u {
  var v = input * 1664525u + 1013904223u;
  v.x += v.y * v.w; v.y += v.z * v.x; v.z += v.x * v.y; v.w += v.y * v.z;
  v ^= v >> vec4u(16u);
  v.x += v.y * v.w; v.y += v.z * v.x; v.z += v.x * v.y; v.w += v.y * v.z;
  return v;
}

/** A uniform float in [0, 1) from the top 24 bits of one hash lane (exactly representable in f32). */
fn unit_float(bits: u32) -> f32 {
  return f32(bits >> 8u) * (1.0 / 16777216.0);
}

/**
 * Inverted dropout's decisions for elements 4t .. 4t+3 of a layer's tensor: lane k of
 * pcg4d(seed, step, t, stream) keeps element 4t + k iff its top 24 bits are >= threshold
 * (ceil(rate * 2^24)), an integer comparison the CPU twin (test/oracle/loss.ts) matches bit for bit.
 * Shared by dropout.wgsl and the dropout max-pool fuses (maxpool.wgsl).
 */
fn dropout_keep4(seed: u32, step: u32, t: u32, stream: u32, threshold: u32) -> vec4<bool> {
  return (pcg4d(vec4u(seed, step, t, stream)) >> vec4u(8u)) >= vec4u(threshold);
}
