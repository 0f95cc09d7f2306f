import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultCacheDir, nodeTuneStore } from '../../src/tune/store-node';

describe('node tune store', () => {
  const dirs: string[] = [];
  afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  it('finds the cache directory from $WGML_CACHE_DIR, $XDG_CACHE_HOME, then ~/.cache', () => {
    expect(defaultCacheDir({ WGML_CACHE_DIR: '/x/y', XDG_CACHE_HOME: '/c' })).toBe('/x/y');
    expect(defaultCacheDir({ XDG_CACHE_HOME: '/c' })).toBe('/c/wgml');
    expect(defaultCacheDir({})).toMatch(/\/\.cache\/wgml$/);
  });

  it('round-trips a cache file, creates its directory, leaves no temp files, reads a damaged file as empty', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wgml-tune-'));
    dirs.push(dir);
    const store = nodeTuneStore(join(dir, 'sub'));
    expect(await store.load()).toBeNull();
    const file = { version: 1, adapters: { a: { 'matmul|1x2x3': { variant: 'sg16', ms: { sg16: 1.5, tile32: 9 } } } } };
    await store.save(file);
    expect(await store.load()).toEqual(file);
    expect(await readdir(join(dir, 'sub'))).toEqual(['tune.json']);
    expect(JSON.parse(await readFile(join(dir, 'sub', 'tune.json'), 'utf8'))).toEqual(file);
    const { writeFile } = await import('node:fs/promises');
    await writeFile(join(dir, 'sub', 'tune.json'), '{ not json');
    expect(await store.load()).toBeNull();
  });
});
