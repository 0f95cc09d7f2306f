/**
 * The tuner's cache in IndexedDB: the one persistent storage a dedicated Web Worker has (no
 * localStorage there), so a page that trains in a worker (serveWorker) keeps its kernel choices
 * across reloads. Pages can use it too; tuningSettings() prefers localStorage where there is one.
 *
 * A hand-rolled wrapper rather than idb-keyval (the demo's dependency): one key in one object store
 * takes a dozen lines of IndexedDB, and the library then keeps no runtime dependency for it (the
 * package's dependencies are what an application installs with wgml).
 *
 * Every failure (no IndexedDB, storage blocked in a private window, a quota, a database of another
 * version or layout) reads as an empty cache and a save that did nothing: tuning still works, its
 * choices then last for the session only. Each call opens the database and closes it when done, so
 * no connection stays open to block another tab's upgrade.
 */
import type { TuneCacheFile, TuneStore } from './tuner';

/** The database's default name (the name is a parameter so that tests can use a fresh one). */
const DATABASE = 'wgml';
/** Its schema version: bumped only if the object stores change. */
const DATABASE_VERSION = 1;
const OBJECT_STORE = 'tune';
/** The whole TuneCacheFile is one value under this key, as in the other stores. */
const KEY = 'cache';

/** The platform's IndexedDB, or undefined where there is none or reading it throws (blocked storage). */
function indexedDbFactory(): IDBFactory | undefined {
  try {
    return (globalThis as { indexedDB?: IDBFactory }).indexedDB ?? undefined;
  } catch {
    return undefined;
  }
}

/**
 * Opens `name`, creating its object store on first use. Rejects when another tab's open connection
 * blocks the upgrade ('blocked'), rather than waiting for it; a connection that opens after that is
 * closed at once.
 */
function openDatabase(factory: IDBFactory, name: string): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    let gaveUp = false;
    const request = factory.open(name, DATABASE_VERSION);
    request.onupgradeneeded = () => request.result.createObjectStore(OBJECT_STORE);
    request.onsuccess = () => (gaveUp ? request.result.close() : resolve(request.result));
    request.onerror = () => reject(request.error ?? new Error(`IndexedDB could not open '${name}'`));
    request.onblocked = () => {
      gaveUp = true;
      reject(new Error(`IndexedDB '${name}' is blocked by another connection`));
    };
  });
}

/** Runs `work` in a transaction on the object store and returns its request's result once the transaction commits. */
async function inStore<T>(factory: IDBFactory, name: string, mode: IDBTransactionMode, work: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await openDatabase(factory, name);
  try {
    return await new Promise<T>((resolve, reject) => {
      const transaction = db.transaction(OBJECT_STORE, mode);
      const request = work(transaction.objectStore(OBJECT_STORE));
      // The transaction's end, not the request's success: a write is only durable once it commits.
      transaction.oncomplete = () => resolve(request.result);
      transaction.onerror = transaction.onabort = () => reject(transaction.error ?? request.error ?? new Error('IndexedDB transaction aborted'));
    });
  } finally {
    db.close();
  }
}

/** A stored value that has the cache file's shape (anything else, e.g. another program's value, reads as no cache). */
function isCacheFile(value: unknown): value is TuneCacheFile {
  if (typeof value !== 'object' || value === null) return false;
  const { version, adapters } = value as Partial<TuneCacheFile>;
  return typeof version === 'number' && typeof adapters === 'object' && adapters !== null;
}

/**
 * A TuneStore in IndexedDB (database `name`, default 'wgml'; object store 'tune'), in pages and in
 * dedicated workers; null where the platform has no IndexedDB (Node). load() reads a missing,
 * damaged or unreachable cache as null, and save() never throws.
 */
export function indexedDbTuneStore(name: string = DATABASE): TuneStore | null {
  const factory = indexedDbFactory();
  if (!factory) return null;
  return {
    where: 'IndexedDB',
    async load() {
      try {
        const value = await inStore(factory, name, 'readonly', (store) => store.get(KEY));
        return isCacheFile(value) ? value : null;
      } catch {
        return null;
      }
    },
    async save(file) {
      try {
        await inStore(factory, name, 'readwrite', (store) => store.put(file, KEY));
      } catch {
        // Blocked, over quota or refused (private mode): the choices still hold for this session.
      }
    },
  };
}
