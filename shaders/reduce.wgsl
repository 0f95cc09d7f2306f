// Column sums of a [ROWS, COLS] matrix: the bias gradient of dense layers (ROWS = batch) and of
// conv2d (ROWS = N*OH*OW, e.g. 50,176 x 64 for the CNN's first conv at batch 64).
//
// Two-pass when the matrix is tall: pass 1 cuts the rows into chunks of CHUNK and writes one partial
// sum per (chunk, column) into a scratch [chunks, COLS]; pass 2 is this same entry point over that
// scratch with CHUNK >= its rows. Each invocation sums one chunk for four adjacent columns in
// registers. No workgroup memory or barriers: on lavapipe barriers cost thread switches, and the
// chunks give every shape thousands of invocations on a real GPU. Summing in chunks also keeps f32
// rounding to ~(CHUNK + chunks) ulps instead of ROWS ulps for a sequential sum.
//
// sum_rows_vec4 (COLS % 4 == 0) binds the same buffers as vec4 arrays: one load per row instead of
// four (on lavapipe each storage access is a per-lane loop whose cost barely depends on its width),
// the same additions in the same order, so both entry points give the same bits.

override ROWS: u32;
override COLS: u32;
override CHUNK: u32; // rows summed by one invocation
override WG: u32 = 64u;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>; // [ceil(ROWS / CHUNK), COLS]
@group(0) @binding(0) var<storage, read> x4: array<vec4f>;
@group(0) @binding(1) var<storage, read_write> out4: array<vec4f>;

@compute @workgroup_size(WG)
fn sum_rows(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = gid.x + gid.y * nwg.x * WG;
  let groups = (COLS + 3u) / 4u;
  let chunks = (ROWS + CHUNK - 1u) / CHUNK;
  if (t >= groups * chunks) { return; }
  // Adjacent invocations take adjacent column groups of the same chunk: their loads are contiguous.
  let chunk = t / groups;
  let c0 = (t % groups) * 4u;
  let r0 = chunk * CHUNK;
  let r1 = min(r0 + CHUNK, ROWS);
  // Past the last column, lanes re-read the last one and store nothing.
  let c = vec4u(c0, min(c0 + 1u, COLS - 1u), min(c0 + 2u, COLS - 1u), min(c0 + 3u, COLS - 1u));
  var acc = vec4f(0.0);
  for (var r = r0; r < r1; r++) {
    let row = r * COLS;
    acc += vec4f(x[row + c.x], x[row + c.y], x[row + c.z], x[row + c.w]);
  }
  for (var k = 0u; k < 4u; k++) {
    if (c0 + k < COLS) { out[chunk * COLS + c0 + k] = acc[k]; }
  }
}

@compute @workgroup_size(WG)
fn sum_rows_vec4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = gid.x + gid.y * nwg.x * WG;
  let groups = COLS / 4u;
  let chunks = (ROWS + CHUNK - 1u) / CHUNK;
  if (t >= groups * chunks) { return; }
  let chunk = t / groups;
  let g = t % groups;
  let r0 = chunk * CHUNK;
  let r1 = min(r0 + CHUNK, ROWS);
  var acc = vec4f(0.0);
  for (var r = r0; r < r1; r++) { acc += x4[r * groups + g]; }
  out4[chunk * groups + g] = acc;
}
