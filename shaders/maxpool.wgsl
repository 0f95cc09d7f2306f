// 2-D max-pooling over NHWC with 'valid' windows of PH x PW every SH x SW pixels:
//   forward   y[n,oy,ox,c] = max over the window, arg[n,oy,ox,c] = flat index in x of that max
//             (ties: the first in row-major window order)
//   backward  dx[i] = Σ dy[o] over the windows o that contain input element i and whose arg-max is i
// The backward pass gathers (one invocation per input element, every element written, zeros where no
// window picked it) rather than scattering, so overlapping windows (stride < pool) need no atomics
// and dx needs no clearing first.

override N: u32;
override H: u32;
override W: u32;
override C: u32;
override PH: u32 = 2u;
override PW: u32 = 2u;
override SH: u32 = 2u;
override SW: u32 = 2u;
override OH: u32; // (H - PH) / SH + 1
override OW: u32;
// Windows do not overlap (SH >= PH and SW >= PW, e.g. 2x2/2): each input is in at most one window,
// found by division, with no loop: the common case, and ~4x cheaper on a SIMD-on-CPU adapter.
override DISJOINT: bool = false;
override WG: u32 = 256u;

@group(0) @binding(0) var<storage, read> src: array<f32>;       // forward: x [N,H,W,C]; backward: dy [N,OH,OW,C]
@group(0) @binding(1) var<storage, read_write> arg: array<u32>; // arg-max [N,OH,OW,C]: forward writes, backward reads
@group(0) @binding(2) var<storage, read_write> dst: array<f32>; // forward: y [N,OH,OW,C]; backward: dx [N,H,W,C]

@compute @workgroup_size(WG)
fn forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let o = gid.x + gid.y * nwg.x * WG;
  if (o >= N * OH * OW * C) { return; }
  let ch = o % C;
  let ox = (o / C) % OW;
  let oy = (o / (C * OW)) % OH;
  let n = o / (C * OW * OH);
  let corner = ((n * H + oy * SH) * W + ox * SW) * C + ch;

  var best = src[corner];
  var best_at = corner;
  for (var ky = 0u; ky < PH; ky++) {
    for (var kx = 0u; kx < PW; kx++) {
      let i = corner + (ky * W + kx) * C;
      let v = src[i];
      if (v > best) {
        best = v;
        best_at = i;
      }
    }
  }
  dst[o] = best;
  arg[o] = best_at;
}

@compute @workgroup_size(WG)
fn backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= N * H * W * C) { return; }
  let ch = i % C;
  let ix = (i / C) % W;
  let iy = (i / (C * W)) % H;
  let n = i / (C * W * H);

  // Windows containing (iy, ix): oy*SH <= iy < oy*SH + PH, i.e. oy in [oy_lo, oy_hi].
  let oy_lo = select(0u, (iy - PH) / SH + 1u, iy >= PH);
  let ox_lo = select(0u, (ix - PW) / SW + 1u, ix >= PW);
  let oy_hi = min(iy / SH, OH - 1u);
  let ox_hi = min(ix / SW, OW - 1u);

  if (DISJOINT) {
    let oy = iy / SH;
    let ox = ix / SW;
    let o = ((n * OH + oy) * OW + ox) * C + ch;
    let inside = oy < OH && ox < OW && iy - oy * SH < PH && ix - ox * SW < PW;
    dst[i] = select(0.0, src[min(o, N * OH * OW * C - 1u)], inside && arg[min(o, N * OH * OW * C - 1u)] == i);
    return;
  }
  var sum = 0.0;
  for (var oy = oy_lo; oy <= oy_hi; oy++) {
    for (var ox = ox_lo; ox <= ox_hi; ox++) {
      let o = ((n * OH + oy) * OW + ox) * C + ch;
      if (arg[o] == i) { sum += src[o]; }
    }
  }
  dst[i] = sum;
}
