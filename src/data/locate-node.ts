/**
 * Node-only edge: find Fashion-MNIST on disk, read it, and download it.
 *
 * Search order: `--data DIR` (explicit, so a miss is an error, never a silent fallback), then
 * $WGML_DATA, then ./data/fashion-mnist, then /usr/share/datasets/fashion-mnist (Debian's
 * `dataset-fashion-mnist` package). The first directory holding all four files wins.
 */
import { mkdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { DataError } from '../errors';
import {
  FASHION_MNIST_FILES,
  FASHION_MNIST_URL,
  loadFashionMnist,
  type FashionMnist,
  type ReadFile,
} from './fashion-mnist';
import { isGzip } from './gzip';
import { writeFileAtomic } from './write-atomic-node';

export const DATA_ENV = 'WGML_DATA';
/** Relative to the working directory; also where `wgml download` puts the files by default. */
export const DEFAULT_DATA_DIR = 'data/fashion-mnist';
export const SYSTEM_DATA_DIR = '/usr/share/datasets/fashion-mnist';

export const GET_DATA_HINT =
  'Install it with `sudo apt-get install dataset-fashion-mnist`, or run `wgml download` to fetch it ' +
  `into ./${DEFAULT_DATA_DIR}, or put the four .gz files from ${FASHION_MNIST_URL} in a directory ` +
  'and pass --data DIR.';

const DOWNLOAD_HINT =
  'Are you offline? Check the network, or install the files with ' +
  '`sudo apt-get install dataset-fashion-mnist`, or copy the four .gz files into a directory by hand ' +
  'and pass --data DIR.';

export interface LocateOptions {
  /** From `--data DIR`; relative paths are taken from `cwd`. */
  dir?: string | undefined;
  /** Defaults to process.env (injectable for tests). */
  env?: Record<string, string | undefined>;
  /** Defaults to process.cwd(). */
  cwd?: string;
  /** Defaults to SYSTEM_DATA_DIR. */
  systemDir?: string;
}

export type DataOrigin = 'argument' | 'env' | 'cwd' | 'system';

export interface Located {
  dir: string;
  /** Which rule found it, so the CLI can say e.g. "using /usr/share/... (Debian package)". */
  origin: DataOrigin;
}

/** The first directory holding all four files, or a DataError listing every place looked. */
export async function locateFashionMnist(options: LocateOptions = {}): Promise<Located> {
  const cwd = options.cwd ?? process.cwd();
  if (options.dir !== undefined) {
    const dir = resolve(cwd, options.dir);
    const problem = await whatIsMissing(dir);
    if (problem === undefined) return { dir, origin: 'argument' };
    throw new DataError(`Fashion-MNIST not found in --data ${options.dir} (${dir}): ${problem}`, GET_DATA_HINT);
  }
  const env = options.env ?? process.env;
  const fromEnv = env[DATA_ENV];
  if (fromEnv) {
    // Set on purpose, like --data: a wrong value is an error, not a reason to use other data.
    const dir = resolve(cwd, fromEnv);
    const problem = await whatIsMissing(dir);
    if (problem === undefined) return { dir, origin: 'env' };
    throw new DataError(`Fashion-MNIST not found in $${DATA_ENV}=${fromEnv} (${dir}): ${problem}`, `Fix or unset $${DATA_ENV}. ${GET_DATA_HINT}`);
  }
  const candidates: { dir: string | undefined; origin: DataOrigin; label: string }[] = [
    { dir: undefined, origin: 'env', label: `$${DATA_ENV}` },
    { dir: resolve(cwd, DEFAULT_DATA_DIR), origin: 'cwd', label: `./${DEFAULT_DATA_DIR}` },
    { dir: options.systemDir ?? SYSTEM_DATA_DIR, origin: 'system', label: 'Debian package dataset-fashion-mnist' },
  ];
  const looked: string[] = [];
  for (const { dir, origin, label } of candidates) {
    if (dir === undefined) {
      looked.push(`  ${label}: not set`);
      continue;
    }
    const problem = await whatIsMissing(dir);
    if (problem === undefined) return { dir, origin };
    looked.push(`  ${dir} (${label}): ${problem}`);
  }
  throw new DataError(`Fashion-MNIST not found. Looked in:\n${looked.join('\n')}`, GET_DATA_HINT);
}

/** Undefined when `dir` has all four files (each as .gz or raw), else what is wrong, in words. */
export async function whatIsMissing(dir: string): Promise<string | undefined> {
  const d = await stat(dir).catch(() => undefined);
  if (d === undefined) return 'does not exist';
  if (!d.isDirectory()) return 'is not a directory';
  const missing: string[] = [];
  const notFiles: string[] = [];
  for (const base of Object.values(FASHION_MNIST_FILES)) {
    const kinds = await Promise.all([`${base}.gz`, base].map((n) => kindOf(join(dir, n))));
    if (kinds.includes('file')) continue;
    const at = kinds.indexOf('other');
    if (at >= 0) notFiles.push(at === 0 ? `${base}.gz` : base);
    else missing.push(`${base}(.gz)`);
  }
  const problems = [
    ...(missing.length ? [`missing ${missing.join(', ')}`] : []),
    ...notFiles.map((n) => `${n} is a directory (or other non-file), not a file`),
  ];
  return problems.length === 0 ? undefined : problems.join('; ');
}

async function kindOf(path: string): Promise<'file' | 'other' | 'none'> {
  const s = await stat(path).catch(() => undefined);
  return s === undefined ? 'none' : s.isFile() ? 'file' : 'other';
}

/**
 * A ReadFile over a directory: a missing file is `undefined`, a directory in its place a DataError, other
 * failures (EACCES...) reject.
 */
export function dirReader(dir: string): ReadFile {
  return async (name) => {
    try {
      const b = await readFile(join(dir, name));
      // A plain Uint8Array, so Buffer's different slice() semantics cannot leak further.
      return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      if (code === 'EISDIR') {
        throw new DataError(`${join(dir, name)} is a directory, not a file`, 'Move that directory away and put the data file in its place.');
      }
      throw e;
    }
  };
}

/** Locate and load, in one call, for the CLI. */
export async function loadFashionMnistFromDisk(options: LocateOptions = {}): Promise<FashionMnist & Located> {
  const located = await locateFashionMnist(options);
  return { ...(await loadFashionMnist(dirReader(located.dir), located.dir)), ...located };
}

export interface DownloadOptions {
  /** Injectable for tests. */
  fetch?: typeof fetch;
  baseUrl?: string;
  /** Per file; a stalled connection otherwise waits forever. Default 5 minutes. */
  timeoutMs?: number;
  /** Called as each file arrives, e.g. to print progress. */
  onFile?: (name: string, bytes: number) => void;
}

/**
 * Fetch the four official files into `dir` (created if needed). All four are downloaded and
 * validated together (parsed, counts and labels checked) before any is written, and each is written
 * atomically, so a failure leaves no half-written or unvalidated file behind. Returns the paths written.
 */
export async function downloadFashionMnist(dir: string, options: DownloadOptions = {}): Promise<string[]> {
  const fetchImpl = options.fetch ?? fetch;
  const base = options.baseUrl ?? FASHION_MNIST_URL;
  const timeoutMs = options.timeoutMs ?? 300_000;
  const files = new Map<string, Uint8Array>();
  for (const stem of Object.values(FASHION_MNIST_FILES)) {
    const url = new URL(`${stem}.gz`, base).href;
    const bytes = await fetchBytes(fetchImpl, url, timeoutMs);
    // Store under the name that matches the content (a proxy may have already decompressed it).
    const name = isGzip(bytes) ? `${stem}.gz` : stem;
    files.set(name, bytes);
    options.onFile?.(name, bytes.length);
  }
  await loadFashionMnist(async (name) => files.get(name), `download from ${base}`);
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  for (const [name, bytes] of files) {
    const path = join(dir, name);
    await writeFileAtomic(path, bytes);
    written.push(path);
  }
  return written;
}

async function fetchBytes(fetchImpl: typeof fetch, url: string, timeoutMs: number): Promise<Uint8Array> {
  let res: Response;
  try {
    res = await fetchImpl(url, { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) {
      throw new DataError(`Could not download ${url}: HTTP ${res.status} ${res.statusText}`.trimEnd(), DOWNLOAD_HINT);
    }
    return new Uint8Array(await res.arrayBuffer());
  } catch (e) {
    if (e instanceof DataError) throw e;
    throw new DataError(`Could not download ${url}: ${describeFetchError(e)}`, DOWNLOAD_HINT);
  }
}

/** Node's fetch says only "fetch failed"; the useful part (ENOTFOUND, ECONNREFUSED...) is in `cause`. */
function describeFetchError(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  if (e.name === 'TimeoutError') return 'timed out';
  const cause = e.cause instanceof Error ? e.cause.message : undefined;
  return cause ? `${e.message} (${cause})` : e.message;
}
