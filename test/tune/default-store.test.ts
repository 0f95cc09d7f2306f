/**
 * Which store the tuner starts with (defaultTuneStore, tuningSettings): localStorage where there is
 * one, else IndexedDB, else none (Node); and the IndexedDB store's failure paths with a database
 * that refuses or blocks, which a browser cannot be made to do on demand. The real IndexedDB round
 * trip runs in Chromium: test/kernels/tune-store.test.ts.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { indexedDbTuneStore } from '../../src/tune/store-indexeddb';
import { defaultTuneStore, TUNE_VERSION } from '../../src/tune/tuner';

const FILE = { version: TUNE_VERSION, adapters: { a: { 'matmul|1x2x3': { variant: 'sg16', ms: { sg16: 1 } } } } };

/** An IndexedDB whose open() throws at once, as a private window's refusal does. */
const refusing = { open: () => { throw new DOMException('The user denied permission to access the database.', 'SecurityError'); } };

/** An IndexedDB whose open() is blocked by another tab's connection (and never succeeds). */
const blocked = {
  open: () => {
    const request: { onblocked?: () => void } = {};
    setTimeout(() => request.onblocked?.(), 0);
    return request;
  },
};

/** A localStorage that holds nothing. */
const emptyLocalStorage = { getItem: () => null, setItem: () => {} };

afterEach(() => vi.unstubAllGlobals());

describe('the default tune store', () => {
  it('is none in Node, which has neither localStorage nor IndexedDB', () => {
    expect('localStorage' in globalThis || 'indexedDB' in globalThis).toBe(false);
    expect(defaultTuneStore()).toBeNull();
    expect(indexedDbTuneStore()).toBeNull();
  });

  it('is IndexedDB without localStorage (a worker), localStorage where there is one (a page)', async () => {
    vi.stubGlobal('indexedDB', refusing);
    expect(defaultTuneStore()?.where).toBe('IndexedDB');
    // What tuningSettings() starts with, in a fresh copy of the module (its settings are made once).
    vi.resetModules();
    const tuner = await import('../../src/tune/tuner');
    expect(tuner.tuningSettings().store?.where).toBe('IndexedDB');
    vi.stubGlobal('localStorage', emptyLocalStorage);
    expect(defaultTuneStore()?.where).toBe('localStorage');
  });

  it('reads an IndexedDB that refuses or blocks as no cache, and saving there does not throw', async () => {
    for (const factory of [refusing, blocked]) {
      vi.stubGlobal('indexedDB', factory);
      const store = indexedDbTuneStore()!;
      expect(await store.load()).toBeNull();
      await expect(store.save(FILE)).resolves.toBeUndefined();
    }
  });
});
