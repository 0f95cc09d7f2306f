import type { Summary } from '../../src/bench/stats';
import type { ModelName } from '../../src/models/seed-models';

/**
 * One seed model trained by a peer runtime (TF.js, jax-js) in `bench --compare`: the same shape of
 * result for every peer, so that one table and one JSON line serve them all.
 */
export interface PeerBenchResult {
  /** '<peer>-<backend>', e.g. 'tfjs-webgpu' or 'jaxjs-wasm': the table's column and the JSON line's runtime. */
  runtime: string;
  /** The peer's backend or device: 'webgpu', 'wasm', 'cpu'. */
  backend: string;
  model: ModelName;
  batch: number;
  /** Adapter description (webgpu) or what runs the wasm code. */
  adapter: string;
  /** The peer and its version, e.g. 'TF.js 4.22.0'. */
  version: string;
  /** Null when the backend cannot train the model; `skipped` says why. */
  imagesPerS: Summary | null;
  msPerStep: Summary | null;
  /** CPU time of this process per step, median (NaN in a browser). */
  cpuMsPerStep?: number;
  steps: number;
  repeats: number;
  skipped?: string;
  /** Set when the run departs from the peer as shipped (e.g. a kernel TF.js lacks, added by us). */
  note?: string;
}

/** What every peer's bench function takes. */
export interface PeerBenchOptions {
  /** Timed seconds per model and backend, over all repeats (default 10). */
  seconds?: number;
  repeats?: number;
  log?: (line: string) => void;
}

/** A result for a model a backend could not train: `skipped` says why. */
export function skippedResult(base: Omit<PeerBenchResult, 'imagesPerS' | 'msPerStep' | 'steps' | 'repeats'>, skipped: string): PeerBenchResult {
  return { ...base, imagesPerS: null, msPerStep: null, steps: 0, repeats: 0, skipped };
}
