/**
 * A dedicated worker for test/kernels/tune-store.test.ts: in a worker (no localStorage), the default
 * tuning store is IndexedDB, and it saves and loads there. Answers one message: the database name
 * and a cache file to save in it.
 */
import { indexedDbTuneStore } from '../../src/tune/store-indexeddb';
import { defaultTuneStore, type TuneCacheFile } from '../../src/tune/tuner';

/** What the test sends. */
export interface WorkerRequest {
  name: string;
  file: TuneCacheFile;
}

/** What the worker answers. */
export interface WorkerReply {
  hasLocalStorage: boolean;
  defaultWhere: string | null;
  before: TuneCacheFile | null;
  after: TuneCacheFile | null;
}

// The worker's global scope, typed as much as this needs (the DOM lib types `self` as a Window).
const scope = globalThis as unknown as { onmessage: ((event: MessageEvent<WorkerRequest>) => void) | null; postMessage(message: WorkerReply): void };

scope.onmessage = async ({ data: { name, file } }) => {
  const store = indexedDbTuneStore(name)!;
  const before = await store.load();
  await store.save(file);
  scope.postMessage({ hasLocalStorage: 'localStorage' in globalThis, defaultWhere: defaultTuneStore()?.where ?? null, before, after: await store.load() });
};
