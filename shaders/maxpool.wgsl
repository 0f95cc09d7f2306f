//! requires: random, step, activation_fns
// 2-D max-pooling over NHWC with 'valid' windows of PH x PW every SH x SW pixels:
//   forward   y[n,oy,ox,c] = max over the window, arg[n,oy,ox,c] = flat index in x of that max
//             (ties and NaN: the first element wins unless a later one is strictly greater, so the
//             first in row-major window order on ties, and a NaN is kept only when it comes first)
//   backward  dx[i] = Σ dy[o] over the windows o that contain input element i and whose arg-max is i
// The backward pass gathers (every element of dx written exactly once, zeros where no window picked
// it) rather than scattering, so overlapping windows (stride < pool) need no atomics and dx needs no
// clearing first.
//
// Entry points (src/kernels/maxpool.ts picks one):
//   forward, backward            one scalar channel per invocation: any C
//   forward_vec4, backward_vec4  C % 4 == 0: tensors bound as vec4 arrays, four channels per
//                                invocation. On lavapipe every storage access costs a per-lane loop
//                                (~6 + 5/component instructions), so sharing it over four floats
//                                is what makes these faster. backward_vec4 needs DISJOINT windows:
//                                one invocation per SH x SW cell of input pixels loads its window's
//                                dy and arg once and writes the whole cell.

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
// The vec4 entry points can also run the layers around the pool, in training (src/graph/compile.ts
// fuses them): DROPOUT applies the dropout layer before the pool to x as it is read (its mask from
// dropout_keep4, stream DROP_STREAM; the dropped tensor is never stored), and backward multiplies dx
// by the same mask and scale; GATE_ACT (backward) multiplies it by act'(gate_y), the derivative of
// the activation that produced x, so dx is the gradient at that activation's input. The products run
// in the order the separate dropout kernel uses, so fused and unfused steps agree bit for bit.
override DROPOUT: bool = false;
override DROP_STREAM: u32 = 0u;
override DROP_THRESHOLD: u32 = 0u;
override DROP_SCALE: f32 = 1.0;
override GATE_ACT: u32 = ACT_NONE;

// The scalar and vec4 entry points bind the same slots with different element types; WGSL allows
// that as long as no entry point uses both.
@group(0) @binding(0) var<storage, read> src: array<f32>;       // forward: x [N,H,W,C]; backward: dy [N,OH,OW,C]
@group(0) @binding(1) var<storage, read_write> arg: array<u32>; // arg-max [N,OH,OW,C]: forward writes, backward reads
@group(0) @binding(2) var<storage, read_write> dst: array<f32>; // forward: y [N,OH,OW,C]; backward: dx [N,H,W,C]
@group(0) @binding(0) var<storage, read> src4: array<vec4f>;
@group(0) @binding(1) var<storage, read_write> arg4: array<vec4u>;
@group(0) @binding(2) var<storage, read_write> dst4: array<vec4f>;
@group(0) @binding(3) var<uniform> step: Step; // DROPOUT: seed and step of the mask
@group(0) @binding(4) var<storage, read> gate_y4: array<vec4f>; // GATE_ACT: the activation's output, [N,H,W,C]

struct Pixel {
  n: u32,
  y: u32,
  x: u32,
  c: u32, // channel, or group of four channels
}

fn flat_id(gid: vec3u, nwg: vec3u) -> u32 {
  return gid.x + gid.y * nwg.x * WG;
}

// Coordinates of flat index i into [*, rows, cols, chans].
fn unflatten(i: u32, rows: u32, cols: u32, chans: u32) -> Pixel {
  return Pixel(i / (chans * cols * rows), (i / (chans * cols)) % rows, (i / chans) % cols, i % chans);
}

// Index in x of the first element of output o's window, and of window tap t (row-major) relative to it;
// chans is C for scalar bindings and C / 4 for vec4 ones.
fn window_corner(o: Pixel, chans: u32) -> u32 {
  return ((o.n * H + o.y * SH) * W + o.x * SW) * chans + o.c;
}

fn tap(t: u32, chans: u32) -> u32 {
  return ((t / PW) * W + t % PW) * chans;
}

// The flat (scalar) indices of the four channels of vec4 element i4, the arg-max's format.
fn lanes(i4: u32) -> vec4u {
  return 4u * i4 + vec4u(0u, 1u, 2u, 3u);
}

@compute @workgroup_size(WG)
fn forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let o = flat_id(gid, nwg);
  if (o >= N * OH * OW * C) { return; }
  let corner = window_corner(unflatten(o, OH, OW, C), C);
  var best = src[corner];
  var best_at = corner;
  for (var t = 1u; t < PH * PW; t++) {
    let i = corner + tap(t, C);
    let v = src[i];
    let wins = v > best;
    best = select(best, v, wins);
    best_at = select(best_at, i, wins);
  }
  dst[o] = best;
  arg[o] = best_at;
}

// The dropout mask of vec4 element i4 (elements 4·i4 .. +3, the hash dropout.wgsl gives them).
fn keep4(i4: u32) -> vec4<bool> {
  return dropout_keep4(step.seed, step.step, i4, DROP_STREAM, DROP_THRESHOLD);
}

// x's vec4 element i4 as the pool sees it: after the fused dropout, if any.
fn pool_input4(i4: u32) -> vec4f {
  let x = src4[i4];
  if (!DROPOUT) { return x; }
  return select(vec4f(0.0), x * DROP_SCALE, keep4(i4));
}

// forward with four channels per invocation: the same compare, componentwise.
@compute @workgroup_size(WG)
fn forward_vec4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let C4 = C / 4u;
  let o = flat_id(gid, nwg);
  if (o >= N * OH * OW * C4) { return; }
  let corner = window_corner(unflatten(o, OH, OW, C4), C4);
  var best = pool_input4(corner);
  var best_at = lanes(corner);
  for (var t = 1u; t < PH * PW; t++) {
    let i = corner + tap(t, C4);
    let v = pool_input4(i);
    let wins = v > best;
    best = select(best, v, wins);
    best_at = select(best_at, lanes(i), wins);
  }
  dst4[o] = best;
  arg4[o] = best_at;
}

@compute @workgroup_size(WG)
fn backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flat_id(gid, nwg);
  if (i >= N * H * W * C) { return; }
  let p = unflatten(i, H, W, C);

  if (DISJOINT) {
    let oy = p.y / SH;
    let ox = p.x / SW;
    let o = ((p.n * OH + oy) * OW + ox) * C + p.c;
    let inside = oy < OH && ox < OW && p.y - oy * SH < PH && p.x - ox * SW < PW;
    dst[i] = select(0.0, src[min(o, N * OH * OW * C - 1u)], inside && arg[min(o, N * OH * OW * C - 1u)] == i);
    return;
  }
  // Windows containing (p.y, p.x): oy*SH <= p.y < oy*SH + PH, i.e. oy in [oy_lo, oy_hi].
  let oy_lo = select(0u, (p.y - PH) / SH + 1u, p.y >= PH);
  let ox_lo = select(0u, (p.x - PW) / SW + 1u, p.x >= PW);
  let oy_hi = min(p.y / SH, OH - 1u);
  let ox_hi = min(p.x / SW, OW - 1u);
  var sum = 0.0;
  for (var oy = oy_lo; oy <= oy_hi; oy++) {
    for (var ox = ox_lo; ox <= ox_hi; ox++) {
      let o = ((p.n * OH + oy) * OW + ox) * C + p.c;
      if (arg[o] == i) { sum += src[o]; }
    }
  }
  dst[i] = sum;
}

// DISJOINT windows only. Invocation (n, cy, cx, c4) owns the cell of input pixels
// [cy*SH, cy*SH + SH) x [cx*SW, cx*SW + SW) (clipped to the image): window (cy, cx) covers its top-left
// PH x PW pixels, and nothing else covers any of them. The cells tile the image, so each element of
// dx is written once, including the pixels in no window (the last rows/columns of odd sizes, the
// gaps when stride > pool, the cells past OH/OW), which get zeros. 2 vec4 loads and SH*SW vec4 stores
// per invocation, against 3 scalar accesses per element in `backward`.
@compute @workgroup_size(WG)
fn backward_vec4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let C4 = C / 4u;
  let CY = (H + SH - 1u) / SH;
  let CX = (W + SW - 1u) / SW;
  let id = flat_id(gid, nwg);
  if (id >= N * CY * CX * C4) { return; }
  let cell = unflatten(id, CY, CX, C4);
  // A cell without a window (past OH/OW) reads window 0 instead: in bounds, and no pixel of this cell
  // can match its arg-max, which lies in window 0 like every arg-max lies in its own window. For the
  // same reason the pixels of a windowed cell outside the window (ky >= PH, kx >= PW) get zeros.
  let o = select(0u, ((cell.n * OH + cell.y) * OW + cell.x) * C4 + cell.c, cell.y < OH && cell.x < OW);
  let g = src4[o];
  let a = arg4[o];
  for (var ky = 0u; ky < SH; ky++) {
    for (var kx = 0u; kx < SW; kx++) {
      let iy = cell.y * SH + ky;
      let ix = cell.x * SW + kx;
      if (iy < H && ix < W) {
        let i = ((cell.n * H + iy) * W + ix) * C4 + cell.c;
        var routed = a == lanes(i);
        var dx = g;
        if (DROPOUT) {
          routed = routed & keep4(i);
          dx = dx * DROP_SCALE;
        }
        if (GATE_ACT != ACT_NONE) { dx = dx * activate_grad4(gate_y4[i], GATE_ACT); }
        dst4[i] = select(vec4f(0.0), dx, routed);
      }
    }
  }
}
