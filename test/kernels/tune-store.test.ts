/**
 * The tuner's IndexedDB store (src/tune/store-indexeddb.ts) in a real browser: a fresh database
 * reads as no cache, a cache file round-trips, a value of another shape or a database it cannot
 * open reads as no cache (and saving there does not throw), and in a dedicated worker, where it is
 * the default store, what the worker saves the page reads back. The failure paths without a
 * browser are in test/tune/default-store.test.ts.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { indexedDbTuneStore } from '../../src/tune/store-indexeddb';
import { TUNE_VERSION, type TuneCacheFile } from '../../src/tune/tuner';
import type { WorkerReply, WorkerRequest } from '../support/tune-store-worker';

const hasIndexedDb = 'indexedDB' in globalThis;

const FILE: TuneCacheFile = {
  version: TUNE_VERSION,
  adapters: { '["google","swiftshader"]': { 'matmul|32x784x128': { variant: 'sg16', ms: { sg16: 0.25, tile32: 1.5 } }, 'conv2d forward|3x3': { variant: 'tile64', ms: { tile64: 2 } } } },
};

/** Runs `work` on a raw connection to database `name` at `version`, creating the object store 'tune' on upgrade when asked. */
function rawDatabase(name: string, version: number, work: (db: IDBDatabase) => IDBRequest | null, createStore = true): Promise<void> {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open(name, version);
    open.onupgradeneeded = () => createStore && open.result.createObjectStore('tune');
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const db = open.result;
      const request = work(db);
      if (!request) return (db.close(), resolve());
      request.transaction!.oncomplete = () => (db.close(), resolve());
      request.transaction!.onerror = () => (db.close(), reject(request.error));
    };
  });
}

describe.skipIf(!hasIndexedDb)('IndexedDB tune store (browser only: Node has no IndexedDB)', () => {
  const names: string[] = [];
  /** A database name no other test (or earlier run in this profile) used. */
  const fresh = () => {
    const name = `wgml-test-${crypto.randomUUID()}`;
    names.push(name);
    return name;
  };
  afterAll(() => Promise.all(names.map((name) => new Promise((resolve) => {
    const request = indexedDB.deleteDatabase(name);
    request.onsuccess = request.onerror = request.onblocked = resolve;
  }))));

  it('reads a fresh database as null, then round-trips a cache file', async () => {
    const store = indexedDbTuneStore(fresh())!;
    expect(store.where).toBe('IndexedDB');
    expect(await store.load()).toBeNull();
    await store.save(FILE);
    expect(await store.load()).toEqual(FILE);
    // Replaced, not merged: merging is the tuner's job (it loads, merges, then saves).
    const other: TuneCacheFile = { version: TUNE_VERSION, adapters: { another: {} } };
    await store.save(other);
    expect(await store.load()).toEqual(other);
  });

  it('reads a damaged value as null, and a database it cannot open as null without throwing on save', async () => {
    const damaged = fresh();
    await rawDatabase(damaged, 1, (db) => db.transaction('tune', 'readwrite').objectStore('tune').put('{ not a cache', 'cache'));
    expect(await indexedDbTuneStore(damaged)!.load()).toBeNull();
    // A database of a later schema version (or another program's): open at version 1 fails.
    const newer = fresh();
    await rawDatabase(newer, 5, () => null, false);
    const store = indexedDbTuneStore(newer)!;
    expect(await store.load()).toBeNull();
    await expect(store.save(FILE)).resolves.toBeUndefined();
    expect(await store.load()).toBeNull();
  });

  it('is the default store in a dedicated worker, and what the worker saves the page reads', async () => {
    const name = fresh();
    const worker = new Worker(new URL('../support/tune-store-worker.ts', import.meta.url), { type: 'module' });
    try {
      const reply = await new Promise<WorkerReply>((resolve, reject) => {
        worker.onmessage = (e: MessageEvent<WorkerReply>) => resolve(e.data);
        worker.onerror = (e) => reject(new Error(`the worker failed: ${e.message}`));
        worker.postMessage({ name, file: FILE } satisfies WorkerRequest);
      });
      expect(reply).toEqual({ hasLocalStorage: false, defaultWhere: 'IndexedDB', before: null, after: FILE });
    } finally {
      worker.terminate();
    }
    expect(await indexedDbTuneStore(name)!.load()).toEqual(FILE);
  });
});
