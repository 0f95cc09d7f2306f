//! requires: activation_fns, matmul_u, matmul_v
// C[M,N] = epilogue(op(A)[M,K] · op(B)[K,N]), one kernel for a dense layer's forward pass and both
// of its backward products:
//   forward   Y  = act(X · W + b)       TRANS_A=0 TRANS_B=0 HAS_BIAS ACT
//   grad in   dX = (dY · Wᵀ) ⊙ act'(X)  TRANS_B=1, GATE with the previous layer's activation
//   grad W    dW = Xᵀ · dY               TRANS_A=1
//
// Work split: each invocation owns a TU x 4 block of the output and keeps it in registers (no
// workgroup memory: barriers cost thread switches on a software adapter). The block's TU rows lie
// along the "u" axis and its 4 columns along the "v" axis; a workgroup is WG lanes along v. Normally
// u = m and v = n (A is the u-operand, B the v-operand). With SWAP the kernel computes Cᵀ = Bᵀ·Aᵀ
// instead (u = n, v = m, B is the u-operand, A the v-operand; matmul.ts binds b first), so that the
// axis cut into 4-wide blocks can be the one that divides by 4 (e.g. N = 10 outputs).
//
// On lavapipe every storage load is issued once per SIMD lane, even at an address that is the same
// for all lanes, so a kernel's cost is close to its number of (lane, float) loads: TU + 4 per k for
// 4·TU multiply-adds here. Larger TU cuts loads per MAC until the accumulators spill. vec4 loads
// share the per-lane overhead over four floats; see bench/NOTES.md for the measurements.
//
// Two entry points, because the operands' binding types differ:
//   main       array<f32> operands, any shape: one k per step, clamped scalar loads.
//   main_vec4  array<vec4f> operands, four k per step, each operand read with vec4 loads along
//              whichever of its axes is contiguous and 4-aligned (U_VEC / V_VEC); a scalar tail
//              handles K % 4. matmul.ts runs it only when both operands have such an axis and both
//              element counts are multiples of 4 (so the vec4 bindings cover every element).
// Rows and columns past the edge are clamped on load and skipped on store, so any M, N, K work.

override M: u32;
override N: u32;
override K: u32;
override TRANS_A: bool = false; // A is stored [K,M] instead of [M,K]
override TRANS_B: bool = false; // B is stored [N,K] instead of [K,N]
override HAS_BIAS: bool = false; // add extra[n] before the activation
override ACT: u32 = ACT_NONE;
override GATE: bool = false; // multiply by activate_grad(extra[m,n], ACT) instead of activating
override SWAP: bool = false; // compute Cᵀ = Bᵀ·Aᵀ: u = n, v = m; binding 0 holds B, binding 1 holds A
override WG: u32 = 64u; // lanes per workgroup, along v
override TU: u32 = 4u; // rows per invocation, a multiple of 4, at most MAX_TU
override U_VEC: u32 = VEC_K; // main_vec4: how the u-operand is read
override V_VEC: u32 = VEC_K; // main_vec4: how the v-operand is read

const MAX_TU: u32 = 16u;
const VEC_K: u32 = 1u; // vec4 of 4 consecutive k (operand stored [outer, K], K % 4 == 0)
const VEC_OUTER: u32 = 2u; // vec4 of 4 consecutive u (or v) (operand stored [K, outer], outer % 4 == 0)

override U_DIM: u32 = select(M, N, SWAP);
override V_DIM: u32 = select(N, M, SWAP);
// Whether the operand's consecutive elements run along k ([outer, K] storage) or along u/v ([K, outer]).
override U_ALONG_K: bool = select(!TRANS_A, TRANS_B, SWAP);
override V_ALONG_K: bool = select(TRANS_B, !TRANS_A, SWAP);

// The operands (bindings 0 and 1) come from the modules matmul_u and matmul_v, which define
// u_scalar(i) / u_vec4(i) and v_scalar(i) / v_vec4(i): element i, or the i-th group of four. They
// hold f32s; matmul_u_half / matmul_v_half read packed f16 pairs instead (src/kernels/matmul.ts
// swaps the module in for a half operand), so every entry point serves both.
@group(0) @binding(2) var<storage, read_write> c: array<f32>;
@group(0) @binding(3) var<storage, read> extra: array<f32>; // bias[N], or the gate's activations [M,N]

// Element offsets of U[u, k] and V[k, v].
fn u_at(u: u32, k: u32) -> u32 { return select(k * U_DIM + u, u * K + k, U_ALONG_K); }
fn v_at(k: u32, v: u32) -> u32 { return select(k * V_DIM + v, v * K + k, V_ALONG_K); }

// Clamped coordinates of the 4 rows from u and the 4 columns from v: edge lanes compute on
// duplicates of the last row/column and store nothing.
fn rows4(u: u32) -> vec4u { return min(vec4u(u) + vec4u(0u, 1u, 2u, 3u), vec4u(U_DIM - 1u)); }
fn cols4(v: u32) -> vec4u { return min(vec4u(v) + vec4u(0u, 1u, 2u, 3u), vec4u(V_DIM - 1u)); }

fn store(acc: ptr<function, array<vec4f, MAX_TU>>, u0: u32, v0: u32) {
  for (var i = 0u; i < TU; i++) {
    let u = u0 + i;
    if (u >= U_DIM) { break; }
    for (var j = 0u; j < 4u; j++) {
      let v = v0 + j;
      if (v >= V_DIM) { break; }
      let m = select(u, v, SWAP);
      let n = select(v, u, SWAP);
      var x = (*acc)[i][j];
      if (GATE) {
        x *= activate_grad(extra[m * N + n], ACT);
      } else {
        if (HAS_BIAS) { x += extra[n]; }
        x = activate(x, ACT);
      }
      c[m * N + n] = x;
    }
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let u0 = wid.y * TU;
  let v0 = (wid.x * WG + lid.x) * 4u;
  let cols = cols4(v0);
  var acc: array<vec4f, MAX_TU>;
  for (var k = 0u; k < K; k++) {
    let vk = vec4f(v_scalar(v_at(k, cols.x)), v_scalar(v_at(k, cols.y)), v_scalar(v_at(k, cols.z)), v_scalar(v_at(k, cols.w)));
    for (var i = 0u; i < TU; i++) {
      acc[i] = fma(vec4f(u_scalar(u_at(min(u0 + i, U_DIM - 1u), k))), vk, acc[i]);
    }
  }
  store(&acc, u0, v0);
}

// A scalar of a vec4-bound operand.
fn u4_scalar(i: u32) -> f32 { return u_vec4(i / 4u)[i % 4u]; }
fn v4_scalar(i: u32) -> f32 { return v_vec4(i / 4u)[i % 4u]; }

// t[r][kk] = U[u + r, k + kk] for r, kk < 4 (u and k are multiples of 4).
fn u_tile(u: u32, k: u32) -> array<vec4f, 4> {
  var t: array<vec4f, 4>;
  let rows = rows4(u);
  if (U_VEC == VEC_K) {
    for (var r = 0u; r < 4u; r++) { t[r] = u_vec4(u_at(rows[r], k) / 4u); }
  } else {
    let u4 = min(u, U_DIM - 4u);
    for (var kk = 0u; kk < 4u; kk++) {
      let q = u_vec4(u_at(u4, k + kk) / 4u);
      for (var r = 0u; r < 4u; r++) { t[r][kk] = q[r]; }
    }
  }
  return t;
}

// t[kk][j] = V[k + kk, v + j] for kk, j < 4 (v and k are multiples of 4).
fn v_tile(v: u32, k: u32) -> array<vec4f, 4> {
  var t: array<vec4f, 4>;
  let cols = cols4(v);
  if (V_VEC == VEC_K) {
    for (var j = 0u; j < 4u; j++) {
      let q = v_vec4(v_at(k, cols[j]) / 4u);
      for (var kk = 0u; kk < 4u; kk++) { t[kk][j] = q[kk]; }
    }
  } else {
    let v4 = min(v, V_DIM - 4u);
    for (var kk = 0u; kk < 4u; kk++) { t[kk] = v_vec4(v_at(k + kk, v4) / 4u); }
  }
  return t;
}

@compute @workgroup_size(WG)
fn main_vec4(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let u0 = wid.y * TU;
  let v0 = (wid.x * WG + lid.x) * 4u;
  var acc: array<vec4f, MAX_TU>;
  let k4 = K - K % 4u;
  for (var k = 0u; k < k4; k += 4u) {
    let vt = v_tile(v0, k);
    for (var g = 0u; g < TU; g += 4u) {
      let ut = u_tile(u0 + g, k);
      for (var r = 0u; r < 4u; r++) {
        for (var kk = 0u; kk < 4u; kk++) {
          acc[g + r] = fma(vec4f(ut[r][kk]), vt[kk], acc[g + r]);
        }
      }
    }
  }
  let cols = cols4(v0);
  for (var k = k4; k < K; k++) {
    let vk = vec4f(v4_scalar(v_at(k, cols.x)), v4_scalar(v_at(k, cols.y)), v4_scalar(v_at(k, cols.z)), v4_scalar(v_at(k, cols.w)));
    for (var i = 0u; i < TU; i++) {
      acc[i] = fma(vec4f(u4_scalar(u_at(min(u0 + i, U_DIM - 1u), k))), vk, acc[i]);
    }
  }
  store(&acc, u0, v0);
}
