/** Order statistics for timings taken on a shared, noisy machine: medians and spreads, never means alone. */

/** The median, extremes and spread of a series of timings or rates. */
export interface Summary {
  median: number;
  min: number;
  max: number;
  /** (max - min) / median: the relative spread of the samples, 0 for one sample. */
  spread: number;
  /** How many values were summarised. */
  samples: number;
}

export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * Math.min(1, Math.max(0, q));
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

export function summarize(values: readonly number[]): Summary {
  const m = median(values);
  const min = values.length ? Math.min(...values) : Number.NaN;
  const max = values.length ? Math.max(...values) : Number.NaN;
  return { median: m, min, max, spread: m > 0 ? (max - min) / m : 0, samples: values.length };
}

/** "12.3 (11.9-13.0)" style, with `digits` decimals. */
export function formatSummary(s: Summary, digits = 1): string {
  return `${s.median.toFixed(digits)} (${s.min.toFixed(digits)}-${s.max.toFixed(digits)})`;
}

/**
 * CPU time this process has used, ms (user + system), or NaN where there is no `process` (a browser).
 * On a software adapter (lavapipe) the GPU's threads run inside this process, so CPU ms per step is a
 * measure that other processes on the same cores disturb much less than the wall clock.
 */
export function cpuMs(): number {
  const p = (globalThis as { process?: { cpuUsage?: () => { user: number; system: number } } }).process;
  if (!p?.cpuUsage) return Number.NaN;
  const u = p.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** A rate (e.g. images/s) from a summary of ms per step: the median rate is that of the median step. */
export function rateSummary(msPerStep: Summary, unitsPerStep: number): Summary {
  const rate = (ms: number) => (unitsPerStep * 1000) / ms;
  const median = rate(msPerStep.median);
  const min = rate(msPerStep.max);
  const max = rate(msPerStep.min);
  return { median, min, max, spread: median > 0 ? (max - min) / median : 0, samples: msPerStep.samples };
}
