/**
 * `ReadFile`s for the places the browser gets files from: a URL prefix (fetch) and File objects a
 * person picked or dropped. Plain web APIs, so they also work in Node. (Node's directory reader is
 * in locate-node.ts.)
 */
import { DataError } from '../errors';
import type { ReadFile } from './fashion-mnist';

/** Files under `baseUrl`; a 404 means "not there". `fetchImpl` is injectable for tests. */
export function urlReader(baseUrl: string, fetchImpl: typeof fetch = fetch): ReadFile {
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  return async (name) => {
    const url = new URL(name, base).href;
    let res: Response;
    try {
      res = await fetchImpl(url);
    } catch (e) {
      throw new DataError(
        `Could not fetch ${url}: ${e instanceof Error ? e.message : String(e)}`,
        'Check the network connection and that the server allows the request (CORS).',
      );
    }
    if (res.status === 404) return undefined;
    if (!res.ok) throw new DataError(`Could not fetch ${url}: HTTP ${res.status} ${res.statusText}`, 'Check the URL and the server.');
    return new Uint8Array(await res.arrayBuffer());
  };
}

/** Anything with a name and bytes, e.g. the File objects of an <input type=file> or a drop. */
export interface NamedBlob {
  readonly name: string;
  /** The file's bytes. */
  arrayBuffer(): Promise<ArrayBuffer>;
}

/** Files chosen by a person, matched by name. */
export function fileListReader(files: Iterable<NamedBlob>): ReadFile {
  const byName = new Map<string, NamedBlob>();
  for (const f of files) byName.set(f.name, f);
  return async (name) => {
    const f = byName.get(name);
    return f === undefined ? undefined : new Uint8Array(await f.arrayBuffer());
  };
}
