//! requires: step
// Fused softmax + categorical cross-entropy over logits [B, C] and integer labels [B], one row per
// invocation (C is small: 10 for Fashion-MNIST), with the epoch's running metrics accumulated on
// the GPU in the same dispatch, so a training step never reads back.
//
//   train     dL/dlogits = (softmax - onehot) / rows   (Keras: the mean over the batch) + metrics;
//             with BIAS_GRAD also the column sums of dL/dlogits: the last dense layer's bias gradient
//   evaluate  probabilities + metrics, no gradient     (validation and test batches)
//   predict   probabilities only                       (inference)
//
// Tail batch: the pipeline is specialised on the buffers' capacity B, which every full batch
// shares, and the ACTIVE row count comes from the step uniform (shaders/step.wgsl, `rows`), so the
// epoch's last, shorter batch runs the same pipeline and bind group: no recompile, nothing to swap.
// Rows >= rows are inactive: `train` writes them a zero gradient (the rest of the backward pass
// runs over all B rows, and a zero row adds nothing to any weight or bias gradient) and divides by
// rows, not B; `evaluate` and `predict` leave them untouched; none of them touch the metrics.
//
// Metrics (u32 words; src/kernels/metrics.ts reads them), all exact:
//   [0] loss_lo, [1] loss_hi: the summed loss as a 64-bit fixed-point number, 32 integer and 32
//       fraction bits, added with two u32 atomics and an explicit carry. Integer addition is exact
//       and order-independent, so an epoch's sum is the same bits however rows are batched and
//       scheduled, and it loses nothing over 60,000 rows (or 4e9). The one rounding is each row's
//       f32 loss to a multiple of 2^-32, which is exact for every loss >= 2^-9 (such an f32 has no
//       bits below 2^-32) and at most 2^-33 below that. Measured over a 60,000-row epoch: 1e-8
//       relative error (the f32 per-row losses themselves), where a running f32 sum is off by up to
//       1e-5 (row by row) or 1e-6 (batch sums of 64).
//   [2] rows: active rows seen. [3] correct: rows whose argmax (the first maximum on ties) is the
//       label. [4] invalid: rows left out of the loss sum and the other counts: a NaN, infinite or
//       >= 2^32 loss (a diverged model), or a label >= C (which also gets a zero gradient, like an
//       "ignore" label). The TS side reports the mean loss as NaN if there are any.
//   [5..7] reserved. [8 .. 8 + C*C) the confusion matrix, row = true class, column = predicted,
//       when CONFUSION. Counts are u32 atomics: exact up to 4e9.

override B: u32;                  // rows the buffers hold: the batch size
override C: u32;                  // classes
override CONFUSION: bool = false; // also count metrics[8 + label * C + predicted]
override WG: u32 = 64u;
// train: also write bias_grad[c] = Σ_r dL/dlogits[r, c], the gradient of the bias of the dense layer
// that made the logits, so that layer needs no reduction dispatch of its own. Dispatched as ONE
// workgroup: its lanes take the rows in turn, then (after a barrier) the columns. The sum runs in
// the order reduce.wgsl's sum_rows uses (rows in chunks of SUM_CHUNK from 0, then the chunks' sums
// in order), so the fused and the separate bias gradients agree bit for bit.
override BIAS_GRAD: bool = false;
override SUM_CHUNK: u32 = 256u;

const M_LOSS_LO: u32 = 0u;
const M_LOSS_HI: u32 = 1u;
const M_ROWS: u32 = 2u;
const M_CORRECT: u32 = 3u;
const M_INVALID: u32 = 4u;
const M_CONFUSION: u32 = 8u;

// Bindings are ordered so that each entry point uses a prefix: predict 0-2, train and evaluate 0-4.
@group(0) @binding(0) var<storage, read> logits: array<f32>;
@group(0) @binding(1) var<uniform> step: Step; // only `rows`, the batch's active rows, is read
@group(0) @binding(2) var<storage, read_write> out: array<f32>; // train: dL/dlogits; else probabilities
@group(0) @binding(3) var<storage, read> labels: array<u32>;
@group(0) @binding(4) var<storage, read_write> metrics: array<atomic<u32>>;
@group(0) @binding(5) var<storage, read_write> bias_grad: array<f32>; // train with BIAS_GRAD: [C]

struct Row {
  base: u32,  // index of the row's first logit
  max_z: f32, // the row maximum, subtracted before exp for stability
  arg: u32,   // its first index
  sum: f32,   // Σ exp(z - max_z), in [1, C]
}

fn row_of(r: u32) -> Row {
  let base = r * C;
  var m = logits[base];
  var arg = 0u;
  for (var j = 1u; j < C; j++) {
    let z = logits[base + j];
    if (z > m) { m = z; arg = j; } // strictly greater: the first maximum wins ties
  }
  var s = 0.0;
  for (var j = 0u; j < C; j++) { s += exp(logits[base + j] - m); }
  return Row(base, m, arg, s);
}

/** The row this invocation owns: linearGrid's 1-D index, which runs past B in the last workgroup. */
fn row_index(gid: vec3u, nwg: vec3u) -> u32 {
  return gid.x + gid.y * nwg.x * WG;
}

fn is_finite(x: f32) -> bool {
  // On the bits: WGSL lets compilers assume floats are never NaN or infinite.
  return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u;
}

/** Adds this row's loss, correctness and confusion cell to the running metrics. */
fn accumulate(row: Row, label: u32) {
  if (label >= C) {
    atomicAdd(&metrics[M_INVALID], 1u);
    return;
  }
  // loss = log Σ exp(z_j) - z_label; >= 0 mathematically, clamped so rounding cannot make it negative.
  let raw = log(row.sum) - (logits[row.base + label] - row.max_z);
  if (!is_finite(raw) || raw >= 4294967296.0) {
    atomicAdd(&metrics[M_INVALID], 1u);
    return;
  }
  let loss = max(raw, 0.0);
  let whole = floor(loss);
  let hi = u32(whole);
  // loss - whole is exact; scaling by 2^32 is exact; round only acts below 2^-9 (see the header).
  let lo = u32(round((loss - whole) * 4294967296.0));
  let old = atomicAdd(&metrics[M_LOSS_LO], lo);
  let carry = select(0u, 1u, old + lo < old); // the u32 add wrapped
  if (hi + carry != 0u) { atomicAdd(&metrics[M_LOSS_HI], hi + carry); }

  if (row.arg == label) { atomicAdd(&metrics[M_CORRECT], 1u); }
  if (CONFUSION) { atomicAdd(&metrics[M_CONFUSION + label * C + row.arg], 1u); }
}

fn count_rows(r: u32, rows: u32) {
  if (r == 0u) { atomicAdd(&metrics[M_ROWS], rows); }
}

// One row of `train`: its gradient (zero for inactive rows and out-of-range labels) and metrics.
fn train_row(r: u32, rows: u32) {
  count_rows(r, rows);
  if (r >= rows) {
    for (var j = 0u; j < C; j++) { out[r * C + j] = 0.0; }
    return;
  }
  let label = labels[r];
  if (label >= C) {
    // Out of range (e.g. an "ignore" label): counted invalid, and a zero gradient, like inactive rows.
    for (var j = 0u; j < C; j++) { out[r * C + j] = 0.0; }
    atomicAdd(&metrics[M_INVALID], 1u);
    return;
  }
  let row = row_of(r);
  let inv_sum = 1.0 / row.sum;
  let n = f32(rows);
  for (var j = 0u; j < C; j++) {
    let p = exp(logits[row.base + j] - row.max_z) * inv_sum;
    out[row.base + j] = (p - select(0.0, 1.0, j == label)) / n;
  }
  accumulate(row, label);
}

// Σ_r out[r, c] over all B rows, in sum_rows' order (see BIAS_GRAD).
fn column_sum(c: u32) -> f32 {
  var total = 0.0;
  for (var r0 = 0u; r0 < B; r0 += SUM_CHUNK) {
    var part = 0.0;
    for (var r = r0; r < min(r0 + SUM_CHUNK, B); r++) { part += out[r * C + c]; }
    total += part; // 0 + part is part exactly (a sum from +0 is never -0): one chunk is sum_rows' one pass
  }
  return total;
}

@compute @workgroup_size(WG)
fn train(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lane: u32) {
  let rows = min(step.rows, B);
  if (!BIAS_GRAD) {
    let r = row_index(gid, nwg);
    if (r < B) { train_row(r, rows); }
    return;
  }
  for (var r = lane; r < B; r += WG) { train_row(r, rows); }
  storageBarrier(); // every row's gradient is written and visible to the whole (one) workgroup
  for (var c = lane; c < C; c += WG) { bias_grad[c] = column_sum(c); }
}

@compute @workgroup_size(WG)
fn evaluate(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let r = row_index(gid, nwg);
  if (r >= B) { return; }
  let rows = min(step.rows, B);
  count_rows(r, rows);
  if (r >= rows) { return; }
  let row = row_of(r);
  let inv_sum = 1.0 / row.sum;
  for (var j = 0u; j < C; j++) { out[row.base + j] = exp(logits[row.base + j] - row.max_z) * inv_sum; }
  accumulate(row, labels[r]);
}

@compute @workgroup_size(WG)
fn predict(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let r = row_index(gid, nwg);
  if (r >= min(step.rows, B)) { return; }
  let row = row_of(r);
  let inv_sum = 1.0 / row.sum;
  for (var j = 0u; j < C; j++) { out[row.base + j] = exp(logits[row.base + j] - row.max_z) * inv_sum; }
}
