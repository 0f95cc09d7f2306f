/**
 * Kernel tuning per adapter. A kernel wrapper (matmul, conv2d) that has several correct variants for
 * a shape asks `chooseVariant(gpu, request)` which to run; the tuner answers from its cache (keyed by
 * the adapter's identity and the shape), or times the candidates on this adapter and keeps the
 * fastest, or, with tuning off, answers the wrapper's own default (its cost model). Browser- and
 * worker-safe: persistence goes through a TuneStore (localStorage where there is one, else
 * IndexedDB, as in a Web Worker: src/tune/store-indexeddb.ts; a JSON file in Node through
 * src/tune/store-node.ts, set by the caller with configureTuning).
 *
 * Tuning happens while kernels are built (compile time), never while a step is timed. Timings of
 * different candidates never overlap (one at a time per device), and each is the best of a few
 * rounds, so another process's load mostly adds noise rather than bias.
 */
import type { Gpu } from '../gpu/device';
import type { KernelCall } from '../gpu/kernel';
import { indexedDbTuneStore } from './store-indexeddb';
import { timeKernel } from './timing';

/** 'off': every wrapper runs its default; 'on': cached choices, tuning what is not cached; 'force': tune everything again. */
export type TuneMode = 'off' | 'on' | 'force';

/** Every TuneMode, for flags and environment checks. */
export const TUNE_MODES: readonly TuneMode[] = ['off', 'on', 'force'];

/** One cached decision: the chosen variant and the ms per dispatch measured for each candidate. */
export interface TuneRecord {
  variant: string;
  ms: Record<string, number>;
}

/** What a TuneStore keeps: per adapter key, per `family|shape`, a decision. */
export interface TuneCacheFile {
  version: number;
  adapters: Record<string, Record<string, TuneRecord>>;
}

/** Where tuning results persist between runs. */
export interface TuneStore {
  /** Where, in words (a file path, 'localStorage', 'IndexedDB'). */
  readonly where: string;
  /** The cached decisions, or null when there are none yet. */
  load(): Promise<TuneCacheFile | null>;
  /** Replaces the cached decisions with `file`. */
  save(file: TuneCacheFile): Promise<void>;
}

/** The tuner's global settings; see configureTuning. */
export interface TuneSettings {
  mode: TuneMode;
  /** null: decisions last for the process only. */
  store: TuneStore | null;
  /**
   * Wall-clock ms of tuning allowed per device in 'on' mode (on lavapipe most of it is LLVM compiling
   * the candidates): a candidate starts only if it should end within it, judged by the longest
   * candidate so far; shapes past it run their default and are tuned by a later run. 'force' has none.
   */
  budgetMs: number;
}

/** Bumped whenever a variant id's meaning or the candidate sets change, so old caches are not trusted. */
export const TUNE_VERSION = 1;

/** Another variant replaces the fallback only when it takes less than this fraction of the fallback's time. */
export const SWITCH_MARGIN = 0.9;

/** Products smaller than this many flops keep the default: timing them would cost more than any variant saves. */
export const MIN_TUNED_FLOPS = 2e6;

/** How a choice was made. */
export type TuneSource = 'tuned' | 'cache' | 'default' | 'small' | 'over budget';

/** One decision of this process, as `wgml profile` lists them. */
export interface TuneChoice {
  family: string;
  shape: string;
  variant: string;
  source: TuneSource;
  /** ms per dispatch of each candidate (empty unless tuned now or cached). */
  ms: Record<string, number>;
}

/** What a kernel wrapper asks. */
export interface TuneRequest {
  /** Kernel family, e.g. 'matmul transB', 'conv2d forward'. */
  family: string;
  /** The shape, as a key: whatever makes two requests interchangeable. */
  shape: string;
  /** Flops of one dispatch (small products are not tuned). */
  flops: number;
  /** The variant the wrapper runs without tuning: its cost model's pick. */
  fallback: string;
  /** Every variant that runs correctly at this shape on this device, fallback included. */
  candidates: readonly string[];
  /**
   * Only called when the tuner times: scratch operands of the right sizes, and a way to build each
   * candidate's kernel on them; release() frees the scratch.
   */
  prepare(): Promise<{ build(variant: string): Promise<KernelCall>; release(): void }>;
}

const MODE_ENV = 'WGML_TUNE';

function envMode(): TuneMode | undefined {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  const value = env?.[MODE_ENV];
  if (value === undefined || value === '') return undefined;
  if (!(TUNE_MODES as readonly string[]).includes(value)) throw new Error(`$${MODE_ENV} must be one of ${TUNE_MODES.join(', ')}, got '${value}'`);
  return value as TuneMode;
}

/** localStorage where the platform has one and lets us use it (not in workers, not in some private modes). */
function localStorageStore(): TuneStore | null {
  let storage: Storage | undefined;
  try {
    storage = (globalThis as { localStorage?: Storage }).localStorage;
    if (!storage) return null;
  } catch {
    return null; // reading the property itself throws where storage is blocked
  }
  const key = 'wgml-tune';
  return {
    where: 'localStorage',
    async load() {
      try {
        const text = storage.getItem(key);
        return text ? (JSON.parse(text) as TuneCacheFile) : null;
      } catch {
        return null;
      }
    },
    async save(file) {
      try {
        storage.setItem(key, JSON.stringify(file));
      } catch {
        // full or blocked: the choices still hold for this page
      }
    },
  };
}

/**
 * The store tuning starts with: localStorage where the platform has one (a page), else IndexedDB
 * (a Web Worker has no localStorage), else null (Node, where the caller sets a file store).
 */
export function defaultTuneStore(): TuneStore | null {
  return localStorageStore() ?? indexedDbTuneStore();
}

let settings: TuneSettings | null = null;

/** The current settings: configureTuning's, else $WGML_TUNE (default 'off') with defaultTuneStore(). */
export function tuningSettings(): TuneSettings {
  settings ??= { mode: envMode() ?? 'off', store: defaultTuneStore(), budgetMs: 10_000 };
  return settings;
}

/** Sets the tuner's mode, store or budget for devices used from now on (`wgml` does this from --tune/--no-tune and $WGML_TUNE). */
export function configureTuning(changes: Partial<TuneSettings>): TuneSettings {
  settings = { ...tuningSettings(), ...changes };
  return settings;
}

/** $WGML_TUNE if set (throws on a bad value), else undefined. */
export function tuneModeFromEnv(): TuneMode | undefined {
  return envMode();
}

interface Session {
  adapterKey: string;
  /** The store `cache` was read from: configureTuning with another store starts over. */
  store: TuneStore | null;
  cache: Promise<Record<string, TuneRecord>>;
  choices: TuneChoice[];
  /** Wall-clock ms spent tuning on this device. */
  spentMs: number;
  /** The longest one candidate took on this device (pipeline build, first-dispatch compile, timing): what the next may take. */
  longestMs: number;
  /** Tunings run one after another: their timings must not overlap. */
  queue: Promise<unknown>;
}

const sessions = new WeakMap<Gpu, Session>();

/** The adapter identity tuning results are keyed by. */
export function adapterKey(gpu: Gpu): string {
  const { vendor, architecture, device, description } = gpu.adapterInfo;
  return JSON.stringify([vendor, architecture, device, description, [...gpu.features].sort()]);
}

function session(gpu: Gpu): Session {
  let s = sessions.get(gpu);
  const { store } = tuningSettings();
  if (!s || s.store !== store) {
    const key = adapterKey(gpu);
    const cache = (store?.load() ?? Promise.resolve(null)).then(
      (file) => (file?.version === TUNE_VERSION ? { ...file.adapters[key] } : {}),
      () => ({}),
    );
    s = { adapterKey: key, store, cache, choices: [], spentMs: s?.spentMs ?? 0, longestMs: s?.longestMs ?? 0, queue: s?.queue ?? Promise.resolve() };
    sessions.set(gpu, s);
  }
  return s;
}

/** The decisions made for `gpu` so far, in order (one per family and shape). */
export function tuningChoices(gpu: Gpu): readonly TuneChoice[] {
  return sessions.get(gpu)?.choices ?? [];
}

/** Wall-clock ms spent timing candidates on `gpu` so far. */
export function tuningMs(gpu: Gpu): number {
  return sessions.get(gpu)?.spentMs ?? 0;
}

/**
 * The variant to run for `request` on `gpu`: its fallback when tuning is off, the product is small,
 * there is one candidate or the budget is spent; the cached choice in 'on' mode; else the fastest
 * candidate measured now (and stored), if it beats the fallback by SWITCH_MARGIN.
 */
export async function chooseVariant(gpu: Gpu, request: TuneRequest): Promise<string> {
  const { mode, budgetMs } = tuningSettings();
  const s = session(gpu);
  const id = `${request.family}|${request.shape}`;
  const known = s.choices.find((c) => `${c.family}|${c.shape}` === id);
  if (known) return known.variant;
  const decide = (variant: string, source: TuneSource, ms: Record<string, number> = {}) => {
    if (!s.choices.some((c) => `${c.family}|${c.shape}` === id)) s.choices.push({ family: request.family, shape: request.shape, variant, source, ms });
    return variant;
  };
  if (mode === 'off' || request.candidates.length < 2) return decide(request.fallback, 'default');
  if (request.flops < MIN_TUNED_FLOPS) return decide(request.fallback, 'small');
  const cache = await s.cache;
  // In 'on' mode a shape is tuned incrementally: the cached times stand, and only candidates not
  // timed yet (a run that hit the budget, or new variants) are timed.
  const knownMs = mode === 'on' ? { ...cache[id]?.ms } : {};
  const untimed = () => {
    const losers = hopeless(cache, request.family);
    return request.candidates.filter((v) => !(v in knownMs) && (v === request.fallback || !losers.has(v)));
  };
  // The fastest timed candidate; the fallback (the cost model's pick) unless another beats it by
  // SWITCH_MARGIN: on a shared machine one tuning run's ranking of near-equal variants is noise.
  const pick = (ms: Record<string, number>) => {
    const timed = request.candidates.filter((v) => v in ms);
    if (!timed.length) return request.fallback;
    const best = timed.reduce((a, b) => (ms[b]! < ms[a]! ? b : a));
    const fallbackMs = ms[request.fallback];
    return fallbackMs !== undefined && ms[best]! > SWITCH_MARGIN * fallbackMs ? request.fallback : best;
  };
  if (mode === 'on' && cache[id] && untimed().length === 0) return decide(pick(knownMs), 'cache', knownMs);

  const run = s.queue.then(async () => {
    const again = s.choices.find((c) => `${c.family}|${c.shape}` === id);
    if (again) return again.variant;
    const overBudget = () => mode === 'on' && s.spentMs + (performance.now() - start) >= budgetMs;
    const start = performance.now();
    if (overBudget()) return decide(cache[id] ? pick(knownMs) : request.fallback, 'over budget', knownMs);
    const ms: Record<string, number> = { ...knownMs };
    const scratch = await request.prepare();
    const fits = () => mode !== 'on' || candidateFits(s.spentMs + (performance.now() - start), s.longestMs, budgetMs);
    try {
      // The fallback first (it sets the time the others must beat; the model compiles it anyway),
      // then the others one at a time, so that timings never overlap.
      const order = untimed().sort((a, b) => Number(b === request.fallback) - Number(a === request.fallback));
      for (const variant of order) {
        if (variant !== request.fallback && !fits()) break;
        const began = performance.now();
        ms[variant] = await timeKernel(gpu, await scratch.build(variant), Math.min(...Object.values(ms)));
        s.longestMs = Math.max(s.longestMs, performance.now() - began);
      }
    } finally {
      scratch.release();
      s.spentMs += performance.now() - start;
    }
    const best = pick(ms);
    cache[id] = { variant: best, ms };
    await persist(s);
    return decide(best, 'tuned', ms);
  });
  s.queue = run.catch(() => {});
  return run;
}

/**
 * Whether another candidate may start in 'on' mode, `spentMs` into the budget: only if it should end
 * within it, judged by the longest candidate so far on this device. On lavapipe one candidate's
 * first-dispatch compile takes 5-15 s, so checking only whether the budget was already spent let a
 * run end up to that far past it.
 * @internal exported for its test
 */
export function candidateFits(spentMs: number, longestMs: number, budgetMs: number): boolean {
  return spentMs + longestMs <= budgetMs;
}

/** A candidate this many times slower than the best of a shape lost it badly. */
const HOPELESS_RATIO = 2;
/** Bad losses, with no close result, after which a variant is not tried again for a kernel kind. */
const HOPELESS_AFTER = 2;

/**
 * Variants of this kernel kind (the family's first word: matmul, conv2d) that lost badly on at least
 * HOPELESS_AFTER shapes already tuned on this adapter and never came close: timing them again costs
 * a pipeline compile each (seconds on lavapipe, whose LLVM JIT dominates tuning time) for nothing.
 * On lavapipe this drops the workgroup-memory tiles and main_vec4 after the first shapes.
 */
function hopeless(cache: Record<string, TuneRecord>, family: string): Set<string> {
  const kind = `${family.split(' ')[0]} `;
  const lost = new Map<string, number>();
  const close = new Set<string>();
  for (const [id, record] of Object.entries(cache)) {
    if (!`${id.split('|')[0]} `.startsWith(kind)) continue;
    const best = Math.min(...Object.values(record.ms));
    for (const [variant, ms] of Object.entries(record.ms)) {
      if (ms > HOPELESS_RATIO * best) lost.set(variant, (lost.get(variant) ?? 0) + 1);
      else close.add(variant);
    }
  }
  return new Set([...lost].filter(([v, n]) => n >= HOPELESS_AFTER && !close.has(v)).map(([v]) => v));
}

/** Writes this adapter's decisions into the store, merged with what other processes wrote meanwhile. */
async function persist(s: Session): Promise<void> {
  const { store } = tuningSettings();
  if (!store) return;
  const cache = await s.cache;
  const file = await store.load().catch(() => null);
  const fresh: TuneCacheFile = file?.version === TUNE_VERSION ? file : { version: TUNE_VERSION, adapters: {} };
  fresh.adapters[s.adapterKey] = { ...fresh.adapters[s.adapterKey], ...cache };
  await store.save(fresh);
}
