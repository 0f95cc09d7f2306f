/**
 * Runs kept in the browser's storage (IndexedDB, through idb-keyval), so that a reload or a closed
 * tab loses nothing: after every epoch and on Pause the run's record is rewritten with its latest
 * checkpoint (the safetensors checkpoint `wgml train` writes), its settings, its model definition,
 * its history and which data it trains on. Each run has its own key, so saving one never
 * overwrites another; a finished run is removed, an unfinished one stays until it is resumed to the
 * end or deleted.
 */
import { createStore, del, entries, set, type UseStore } from 'idb-keyval';
import type { DataSettings, EpochRecord, FitSettings, ModelDefinition } from '../../src/index';

/** Bumped when StoredRun changes shape; older records are offered for deletion, never misread. */
export const RUN_FORMAT = 'wgml-demo-run/1';

/** Which data a run trains on: the server's Fashion-MNIST, or files a person chose (named); the fingerprint recognises them. */
export type RunData = ({ kind: 'fashion-mnist' } | { kind: 'files'; description: string }) & { fingerprint: string };

export interface StoredRun {
  format: typeof RUN_FORMAT;
  id: string;
  /** ISO time of the last save. */
  savedAt: string;
  /** The model picker's entry (a seed model's name, or a file's), and the definition itself. */
  modelId: string;
  modelOrigin: string;
  definition: ModelDefinition;
  fit: FitSettings;
  data: Required<DataSettings>;
  dataSource: RunData;
  /** Finished epochs; `checkpoint` is after the last of them, or inside the next (a pause). */
  history: EpochRecord[];
  checkpoint: Uint8Array;
  /** 'paused' when the checkpoint is from inside an epoch. */
  state: 'running' | 'paused' | 'interrupted';
}

/** A record that is not a StoredRun of this format: shown so it can be deleted, never resumed. */
export interface UnreadableRun {
  id: string;
  problem: string;
}

/** Storage refused (quota full, or no IndexedDB: some private windows): what to tell the person. */
export class StorageProblem extends Error {
  constructor(message: string, readonly hint: string) {
    super(message);
    this.name = 'StorageProblem';
  }
}

let store: UseStore | null = null;
const runs = (): UseStore => (store ??= createStore('wgml-demo', 'runs'));

/** `what` says what failed and what it means for the run. */
function storageProblem(e: unknown, what: string): StorageProblem {
  const name = (e as { name?: string } | null)?.name;
  if (name === 'QuotaExceededError') {
    return new StorageProblem(`The browser's storage is full: ${what}.`, 'Delete saved runs you no longer need (below the controls), or free space for this site in the browser\'s settings.');
  }
  return new StorageProblem(`The browser's storage is not available (${(e as Error)?.message ?? String(e)}): ${what}.`, 'Private windows may refuse storage; use a normal window to keep runs across reloads.');
}

export async function saveRun(run: Omit<StoredRun, 'format' | 'savedAt'>): Promise<void> {
  const record: StoredRun = { ...run, format: RUN_FORMAT, savedAt: new Date().toISOString() };
  try {
    await set(run.id, record, runs());
  } catch (e) {
    throw storageProblem(e, 'saving the run failed; it goes on, but a reload or a closed tab would lose it');
  }
}

export async function deleteRun(id: string): Promise<void> {
  try {
    await del(id, runs());
  } catch (e) {
    throw storageProblem(e, 'deleting the run failed');
  }
}

/** Every saved run, newest first, and the records this page cannot read. */
export async function listRuns(): Promise<{ runs: StoredRun[]; unreadable: UnreadableRun[] }> {
  let all: [IDBValidKey, unknown][];
  try {
    all = await entries(runs());
  } catch (e) {
    throw storageProblem(e, 'reading the saved runs failed');
  }
  const good: StoredRun[] = [];
  const unreadable: UnreadableRun[] = [];
  for (const [key, value] of all) {
    const r = value as Partial<StoredRun> | null;
    if (r?.format !== RUN_FORMAT) unreadable.push({ id: String(key), problem: `saved by another version of this page (${String(r?.format ?? 'no format')})` });
    else if (!(r.checkpoint instanceof Uint8Array) || !Array.isArray(r.history) || typeof r.definition !== 'object') unreadable.push({ id: String(key), problem: 'incomplete' });
    else good.push(r as StoredRun);
  }
  good.sort((a, b) => b.savedAt.localeCompare(a.savedAt));
  return { runs: good, unreadable };
}

/** A new run's key: time-ordered and unique. */
export function newRunId(): string {
  return `run-${new Date().toISOString()}-${Math.random().toString(36).slice(2, 8)}`;
}

/**
 * A dataset's fingerprint, to recognise the same files when a saved run resumes: SHA-256 of its
 * shape, class names, labels and images (crypto.subtle digests off the page's thread).
 */
export async function fingerprint(data: { shape: readonly number[]; classes: readonly string[]; train: { images: Uint8Array | Float32Array; labels: ArrayLike<number> }; test: { images: Uint8Array | Float32Array; labels: ArrayLike<number> } | null }): Promise<string> {
  const parts: BufferSource[] = [new TextEncoder().encode(JSON.stringify([data.shape, data.classes]))];
  for (const split of [data.train, data.test]) {
    if (!split) continue;
    parts.push(Uint32Array.from(split.labels), new Uint8Array(split.images.buffer as ArrayBuffer, split.images.byteOffset, split.images.byteLength));
  }
  const digests = await Promise.all(parts.map((p) => crypto.subtle.digest('SHA-256', p)));
  const all = await crypto.subtle.digest('SHA-256', new Uint8Array(digests.flatMap((d) => [...new Uint8Array(d)])));
  return [...new Uint8Array(all)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** The Web Lock a tab holds while it trains run `id`, so that no other tab resumes it at the same time. */
const lockName = (id: string) => `wgml-run:${id}`;

/**
 * Takes run `id`'s lock for this tab; resolves with the function that gives it back, or null when
 * another tab holds it (it is training that run). Without the Web Locks API, always granted.
 */
export function lockRun(id: string): Promise<(() => void) | null> {
  if (!navigator.locks) return Promise.resolve(() => {});
  return new Promise((resolve) => {
    void navigator.locks.request(lockName(id), { ifAvailable: true }, (lock) => {
      if (!lock) {
        resolve(null);
        return undefined;
      }
      return new Promise<void>((release) => resolve(release));
    });
  });
}

/** The runs some tab (this one included) is training now. */
export async function runsInUse(): Promise<Set<string>> {
  if (!navigator.locks) return new Set();
  const { held = [] } = await navigator.locks.query();
  return new Set(held.map((l) => l.name ?? '').filter((n) => n.startsWith('wgml-run:')).map((n) => n.slice('wgml-run:'.length)));
}
