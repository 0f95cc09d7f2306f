/**
 * Node-only: the tuner's cache as one JSON file, `tune.json` in wgml's cache directory
 * ($WGML_CACHE_DIR, else $XDG_CACHE_HOME/wgml, else ~/.cache/wgml), written atomically.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../data/write-atomic-node';
import type { TuneCacheFile, TuneStore } from './tuner';

/** Overrides wgml's cache directory (tests point it at a temporary one). */
export const CACHE_DIR_ENV = 'WGML_CACHE_DIR';

/** wgml's cache directory for this environment. */
export function defaultCacheDir(env: Readonly<Record<string, string | undefined>> = process.env): string {
  if (env[CACHE_DIR_ENV]) return env[CACHE_DIR_ENV];
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'wgml');
}

/** A TuneStore on `dir`/tune.json (default: defaultCacheDir()). A missing or unreadable file reads as empty. */
export function nodeTuneStore(dir: string = defaultCacheDir()): TuneStore {
  const path = join(dir, 'tune.json');
  return {
    where: path,
    async load() {
      const text = await readFile(path, 'utf8').catch(() => null);
      if (text === null) return null;
      try {
        return JSON.parse(text) as TuneCacheFile;
      } catch {
        return null; // a damaged cache is re-tuned, not an error
      }
    },
    async save(file) {
      await mkdir(dir, { recursive: true });
      await writeFileAtomic(path, new TextEncoder().encode(`${JSON.stringify(file, null, 1)}\n`));
    },
  };
}
