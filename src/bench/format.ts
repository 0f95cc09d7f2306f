import type { Ceiling } from './ceiling';
import type { Summary } from './stats';
import type { TrainBenchResult } from './train-bench';

/** Plain-text tables and the JSON lines of `wgml bench` (pure functions, no I/O). */

const NUMERIC = /^[-+]?[\d,]*\.?\d+(e[-+]?\d+)?\s?[%x*]?$/i;

/** Columns padded to their widest cell; numeric columns right-aligned. */
export function textTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const right = headers.map((_, c) => rows.length > 0 && rows.every((r) => (r[c] ?? '') === '' || r[c] === '-' || NUMERIC.test(r[c]!.split(' ')[0]!)));
  const line = (cells: readonly string[]) =>
    headers.map((_, c) => (right[c] ? (cells[c] ?? '').padStart(widths[c]!) : (cells[c] ?? '').padEnd(widths[c]!))).join('  ').trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export const thousands = (v: number, digits = 0): string =>
  Number.isFinite(v) ? v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : '-';

export const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(2);

/** "5,912 ±4%": the median and the relative spread (max - min) / median. */
export const withSpread = (s: Summary, digits = 0): string => `${thousands(s.median, digits)} ±${((s.spread * 100) / 2).toFixed(0)}%`;

/** The ceiling as the indented text lines `wgml bench` prints: one per matmul size, one for the copies. */
export function ceilingLines(c: Ceiling): string[] {
  return [
    `ceiling: ${c.adapter}`,
    ...c.matmul.map((p) => `  matmul ${p.size}x${p.size}x${p.size} (${p.plan}): ${p.gflops.toFixed(1)} GFLOP/s best, ${p.medianGflops.toFixed(1)} median (${p.msPerDispatch.toFixed(1)} ms), ${p.gflopsPerCpuS.toFixed(1)} GFLOP/CPU-s`),
    `  copy ${mib(c.copyBytes)} MiB: copyBufferToBuffer ${c.copyGbps.toFixed(1)} GB/s, copy kernel ${c.kernelCopyGbps.toFixed(1)} GB/s (read + write)`,
  ];
}

/**
 * The training results as `wgml bench`'s text table, one row per model: medians with their spread,
 * and GFLOP/s as a share of `ceiling` ('-' without one).
 */
export function trainingTable(results: readonly TrainBenchResult[], ceiling: Ceiling | null): string {
  const headers = ['model', 'batch', 'images/s', 'ms/step', 'CPU ms/step', 'epoch s', 'GFLOP/s', 'of ceiling', 'GFLOP/CPU-s', 'of ceiling', 'dispatches', 'plan MiB', 'params MiB', 'steps'];
  const cpuCeiling = ceiling ? ceilingPerCpuS(ceiling) : Number.NaN;
  const rows = results.map((r) => [
    r.precision === 'float32' ? r.model : `${r.model} ${r.precision}`,
    String(r.batch),
    withSpread(r.imagesPerS),
    withSpread(r.msPerStep, 2),
    Number.isFinite(r.cpuMsPerStep.median) ? r.cpuMsPerStep.median.toFixed(2) : '-',
    r.epochSeconds.toFixed(1),
    r.gflops.toFixed(2),
    ceiling && ceiling.gflops > 0 ? `${((100 * r.gflops) / ceiling.gflops).toFixed(1)}%` : '-',
    Number.isFinite(gflopsPerCpuS(r)) ? gflopsPerCpuS(r).toFixed(2) : '-',
    Number.isFinite(cpuCeiling) && Number.isFinite(gflopsPerCpuS(r)) ? `${((100 * gflopsPerCpuS(r)) / cpuCeiling).toFixed(1)}%` : '-',
    String(r.dispatches),
    `${mib(r.memory.planned)} (${mib(r.memory.naive)})`,
    mib(r.memory.params),
    `${r.repeats}x${r.steps}`,
  ]);
  return textTable(headers, rows);
}

/** A step's flops per CPU-second of this process: on a software adapter, steadier under other load than GFLOP/s. */
export const gflopsPerCpuS = (r: TrainBenchResult): number => r.flopsPerStep / (r.cpuMsPerStep.median * 1e6);

/** The best matmul GFLOP per CPU-second of the ceiling, or NaN. */
export function ceilingPerCpuS(c: Ceiling): number {
  const v = c.matmul.map((p) => p.gflopsPerCpuS).filter(Number.isFinite);
  return v.length ? Math.max(...v) : Number.NaN;
}

/** The keys every `bench --json` line has; more may follow. */
export const JSON_KEYS = ['model', 'batch', 'images_per_s', 'ms_per_step', 'gflops', 'adapter'] as const;

/**
 * One line of `wgml bench --json`, for wgml ('wgml') or a runtime compared with it (e.g. TensorFlow.js):
 * snake_case keys, numbers rounded, null where a figure is not available. The keys shown are always
 * present; more (ceiling, memory, CPU time) may follow.
 */
export interface BenchJsonLine {
  runtime: string;
  model: string;
  batch: number;
  images_per_s: number | null;
  ms_per_step: number | null;
  gflops: number | null;
  adapter: string;
  [key: string]: unknown;
}

/** A training result as one `wgml bench --json` line, with its share of `ceiling` when given. */
export function benchJson(r: TrainBenchResult, adapter: string, ceiling: Ceiling | null): BenchJsonLine {
  return {
    runtime: 'wgml',
    model: r.model,
    batch: r.batch,
    images_per_s: round(r.imagesPerS.median, 1),
    ms_per_step: round(r.msPerStep.median, 4),
    gflops: round(r.gflops, 3),
    adapter,
    images_per_s_min: round(r.imagesPerS.min, 1),
    images_per_s_max: round(r.imagesPerS.max, 1),
    ms_per_step_min: round(r.msPerStep.min, 4),
    ms_per_step_max: round(r.msPerStep.max, 4),
    cpu_ms_per_step: Number.isFinite(r.cpuMsPerStep.median) ? round(r.cpuMsPerStep.median, 4) : null,
    epoch_s: round(r.epochSeconds, 2),
    flops_per_step: r.flopsPerStep,
    ceiling_gflops: ceiling ? round(ceiling.gflops, 2) : null,
    ceiling_gflops_per_cpu_s: ceiling && Number.isFinite(ceilingPerCpuS(ceiling)) ? round(ceilingPerCpuS(ceiling), 2) : null,
    gflops_per_cpu_s: Number.isFinite(gflopsPerCpuS(r)) ? round(gflopsPerCpuS(r), 3) : null,
    fraction_of_ceiling_cpu: ceiling && Number.isFinite(ceilingPerCpuS(ceiling)) && Number.isFinite(gflopsPerCpuS(r)) ? round(gflopsPerCpuS(r) / ceilingPerCpuS(ceiling), 4) : null,
    fraction_of_ceiling: ceiling && ceiling.gflops > 0 ? round(r.gflops / ceiling.gflops, 4) : null,
    copy_gbps: ceiling ? round(ceiling.copyGbps, 2) : null,
    dispatches: r.dispatches,
    memory_planned_bytes: r.memory.planned,
    memory_naive_bytes: r.memory.naive,
    memory_params_bytes: r.memory.params,
    optimizer: r.optimizer,
    precision: r.precision,
    steps: r.steps,
    repeats: r.repeats,
    startup_ms: round(r.startup.totalMs, 1),
    startup_create_ms: round(r.startup.createMs, 1),
    startup_tune_ms: round(r.startup.tuneMs, 1),
    startup_first_step_ms: round(r.startup.firstStepMs, 1),
    since_process_start_ms: round(r.startup.sinceProcessStartMs, 1),
  };
}

/** One line on a model's start-up (see StartupTimes), as `wgml bench` prints it. */
export function startupLine(r: TrainBenchResult): string {
  const s = r.startup;
  const sec = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  return `${r.model} start-up: ${sec(s.totalMs)} to the first finished step = create ${sec(s.createMs)} (of which kernel tuning ${sec(s.tuneMs)}) + first step ${sec(s.firstStepMs)}; ${sec(s.sinceProcessStartMs)} since the process started`;
}

const round = (v: number, digits: number): number => Number(v.toFixed(digits));
