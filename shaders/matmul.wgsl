//! requires: activation_fns
// C[M,N] = epilogue(op(A)[M,K] · op(B)[K,N]), one kernel for a dense layer's forward pass and both
// of its backward products:
//   forward   Y  = act(X · W + b)       TRANS_A=0 TRANS_B=0 HAS_BIAS ACT
//   grad in   dX = (dY · Wᵀ) ⊙ act'(X)  TRANS_B=1, GATE with the previous layer's activation
//   grad W    dW = Xᵀ · dY               TRANS_A=1
//
// Register-blocked: each invocation owns a 4x4 block of C and keeps it in registers; no workgroup
// memory. On a software adapter (lavapipe) this beat a 16x16 shared-memory tile by ~10x, because
// barriers cost thread switches there. Rows and columns past the edge are clamped on load and
// skipped on store, so any M, N, K work.

override M: u32;
override N: u32;
override K: u32;
override TRANS_A: bool = false; // A is stored [K,M] instead of [M,K]
override TRANS_B: bool = false; // B is stored [N,K] instead of [K,N]
override HAS_BIAS: bool = false; // add extra[n] before the activation
override ACT: u32 = ACT_NONE;
override GATE: bool = false; // multiply by activate_grad(extra[m,n], ACT) instead of activating
override WG_X: u32 = 8u;
override WG_Y: u32 = 8u;

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> c: array<f32>;
@group(0) @binding(3) var<storage, read> extra: array<f32>; // bias[N], or the gate's activations [M,N]

fn load_a(m: u32, k: u32) -> f32 {
  if (TRANS_A) { return a[k * M + m]; }
  return a[m * K + k];
}

fn load_b(k: u32, n: u32) -> f32 {
  if (TRANS_B) { return b[n * K + k]; }
  return b[k * N + n];
}

@compute @workgroup_size(WG_X, WG_Y)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let col0 = gid.x * 4u;
  let row0 = gid.y * 4u;
  if (col0 >= N || row0 >= M) { return; }

  // Clamped indices: edge lanes compute on duplicates of the last row/column and store nothing.
  var rows: array<u32, 4>;
  var cols: array<u32, 4>;
  for (var i = 0u; i < 4u; i++) {
    rows[i] = min(row0 + i, M - 1u);
    cols[i] = min(col0 + i, N - 1u);
  }

  var acc: array<vec4f, 4>;
  for (var k = 0u; k < K; k++) {
    let bk = vec4f(load_b(k, cols[0]), load_b(k, cols[1]), load_b(k, cols[2]), load_b(k, cols[3]));
    for (var i = 0u; i < 4u; i++) {
      acc[i] = fma(vec4f(load_a(rows[i], k)), bk, acc[i]);
    }
  }

  for (var i = 0u; i < 4u; i++) {
    let m = row0 + i;
    if (m >= M) { break; }
    for (var j = 0u; j < 4u; j++) {
      let n = col0 + j;
      if (n >= N) { break; }
      var v = acc[i][j];
      if (GATE) {
        v *= activate_grad(extra[m * N + n], ACT);
      } else {
        if (HAS_BIAS) { v += extra[n]; }
        v = activate(v, ACT);
      }
      c[m * N + n] = v;
    }
  }
}
