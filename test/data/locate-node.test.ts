import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataError } from '../../src/errors';
import { FASHION_MNIST_FILES } from '../../src/data/fashion-mnist';
import {
  DEFAULT_DATA_DIR,
  downloadFashionMnist,
  loadFashionMnistFromDisk,
  locateFashionMnist,
  type LocateOptions,
} from '../../src/data/locate-node';
import { tempDir, tinyDataset, writeDataset } from './fixtures';

let root: string;
/** Four complete datasets, one per source, plus an incomplete one and an empty cwd. */
let dirs: { arg: string; env: string; cwd: string; system: string; partial: string; emptyCwd: string };

beforeAll(async () => {
  root = await tempDir();
  const full = tinyDataset();
  dirs = {
    arg: await writeDataset(join(root, 'arg'), full),
    env: await writeDataset(join(root, 'env'), tinyDataset(true)), // uncompressed names
    cwd: join(root, 'cwd'),
    system: await writeDataset(join(root, 'system'), full),
    partial: await writeDataset(join(root, 'partial'), new Map([...full].slice(0, 2))),
    emptyCwd: join(root, 'empty-cwd'),
  };
  await writeDataset(join(dirs.cwd, DEFAULT_DATA_DIR), full);
});
afterAll(() => rm(root, { recursive: true, force: true }));

async function locateError(options: LocateOptions): Promise<DataError> {
  const e = await locateFashionMnist(options).then(() => undefined, (err: unknown) => err);
  expect(e).toBeInstanceOf(DataError);
  return e as DataError;
}

describe('locateFashionMnist', () => {
  it('honours --data, then $WGML_DATA, then ./data/fashion-mnist, then the system dir', async () => {
    const all = { dir: dirs.arg, env: { WGML_DATA: dirs.env }, cwd: dirs.cwd, systemDir: dirs.system };
    expect(await locateFashionMnist(all)).toEqual({ dir: dirs.arg, origin: 'argument' });
    expect(await locateFashionMnist({ ...all, dir: undefined })).toEqual({ dir: dirs.env, origin: 'env' });
    expect(await locateFashionMnist({ ...all, dir: undefined, env: {} })).toEqual({
      dir: join(dirs.cwd, DEFAULT_DATA_DIR),
      origin: 'cwd',
    });
    expect(await locateFashionMnist({ env: {}, cwd: dirs.emptyCwd, systemDir: dirs.system })).toEqual({
      dir: dirs.system,
      origin: 'system',
    });
  });

  it('resolves relative --data and $WGML_DATA from the working directory', async () => {
    expect((await locateFashionMnist({ dir: 'arg', cwd: root, env: {} })).dir).toBe(dirs.arg);
    expect((await locateFashionMnist({ env: { WGML_DATA: '../env' }, cwd: dirs.cwd })).dir).toBe(dirs.env);
  });

  it('treats an incomplete or missing $WGML_DATA as an error naming it, with no fallback', async () => {
    const e = await locateError({ env: { WGML_DATA: dirs.partial }, cwd: dirs.emptyCwd, systemDir: dirs.system });
    expect(e.message).toContain(`Fashion-MNIST not found in $WGML_DATA=${dirs.partial} (${dirs.partial}): missing t10k-images-idx3-ubyte(.gz), t10k-labels-idx1-ubyte(.gz)`);
    const gone = await locateError({ env: { WGML_DATA: join(root, 'nope') }, cwd: dirs.emptyCwd, systemDir: dirs.system });
    expect(gone.message).toMatch(/nope\): does not exist/);
    expect(gone.hint).toMatch(/unset \$WGML_DATA/);
  });

  it('treats an explicit --data that lacks files as an error naming it, with no fallback', async () => {
    const e = await locateError({ dir: dirs.partial, env: { WGML_DATA: dirs.env }, systemDir: dirs.system });
    expect(e.message).toContain(`Fashion-MNIST not found in --data ${dirs.partial} (${dirs.partial}): missing t10k-images-idx3-ubyte(.gz), t10k-labels-idx1-ubyte(.gz)`);
    const gone = await locateError({ dir: join(root, 'nope'), systemDir: dirs.system });
    expect(gone.message).toMatch(/nope\): does not exist/);
  });

  it('lists every place looked and what was missing, and how to get the files', async () => {
    const e = await locateError({ env: {}, cwd: dirs.emptyCwd, systemDir: join(root, 'no-system') });
    const lines = e.message.split('\n');
    expect(lines.slice(0, 4)).toEqual([
      'Fashion-MNIST not found. Looked in:',
      '  $WGML_DATA: not set',
      `  ${join(dirs.emptyCwd, DEFAULT_DATA_DIR)} (./data/fashion-mnist): does not exist`,
      `  ${join(root, 'no-system')} (Debian package dataset-fashion-mnist): does not exist`,
    ]);
    expect(e.hint).toMatch(/sudo apt-get install dataset-fashion-mnist/);
    expect(e.hint).toMatch(/wgml download/);
    expect(e.hint).toMatch(/fashion-mnist\.s3-website/);
  });

  it('calls a directory named like a data file "not a file", not missing', async () => {
    const d = join(root, 'dir-not-file');
    await writeDataset(d, new Map([...tinyDataset()].slice(1)));
    await writeDataset(join(d, `${FASHION_MNIST_FILES.trainImages}.gz`), new Map());
    expect((await locateError({ dir: d })).message).toMatch(/train-images-idx3-ubyte\.gz is a directory \(or other non-file\), not a file$/m);
  });

  it('loads what it finds', async () => {
    const d = await loadFashionMnistFromDisk({ env: { WGML_DATA: dirs.env }, cwd: dirs.emptyCwd });
    expect([d.origin, d.dir, d.train.labels.length, d.test.labels.length, d.source]).toEqual(['env', dirs.env, 3, 2, dirs.env]);
  });
});

describe('downloadFashionMnist', () => {
  /** A fetch serving `files` by the last path segment; anything else is a 404. */
  const serve = (files: Map<string, Uint8Array>): typeof fetch => async (input) => {
    const name = String(input).split('/').pop()!;
    const b = files.get(name);
    return b ? new Response(Uint8Array.from(b)) : new Response('no', { status: 404, statusText: 'Not Found' });
  };

  it('fetches, validates and writes the four files, leaving no temp files', async () => {
    const dir = join(root, 'dl-ok', 'nested');
    const seen: string[] = [];
    const written = await downloadFashionMnist(dir, { fetch: serve(tinyDataset()), onFile: (n) => seen.push(n) });
    const names = Object.values(FASHION_MNIST_FILES).map((f) => `${f}.gz`);
    expect(seen).toEqual(names);
    expect(written).toEqual(names.map((n) => join(dir, n)));
    expect((await readdir(dir)).sort()).toEqual([...names].sort());
    expect((await locateFashionMnist({ dir })).dir).toBe(dir);
  });

  it('requests the official URLs', async () => {
    const urls: string[] = [];
    const files = tinyDataset();
    const spy: typeof fetch = async (input, init) => (urls.push(String(input)), serve(files)(input, init));
    await downloadFashionMnist(join(root, 'dl-urls'), { fetch: spy });
    expect(urls[0]).toBe('http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/train-images-idx3-ubyte.gz');
    expect(urls).toHaveLength(4);
  });

  it('says so clearly when offline, and writes nothing', async () => {
    const dir = join(root, 'dl-offline');
    const offline: typeof fetch = async () => {
      throw new TypeError('fetch failed', { cause: new Error('getaddrinfo ENOTFOUND fashion-mnist.s3-website.eu-central-1.amazonaws.com') });
    };
    const e = await downloadFashionMnist(dir, { fetch: offline }).then(() => undefined, (err: unknown) => err);
    expect(e).toBeInstanceOf(DataError);
    expect((e as DataError).message).toMatch(/^Could not download http:.*train-images-idx3-ubyte\.gz: fetch failed \(getaddrinfo ENOTFOUND/);
    expect((e as DataError).hint).toMatch(/offline\?.*apt-get install dataset-fashion-mnist/);
    expect(await readdir(dir).catch(() => 'absent')).toBe('absent');
  });

  it('reports HTTP errors and corrupt downloads, and writes nothing', async () => {
    const missing = tinyDataset();
    missing.delete(`${FASHION_MNIST_FILES.testLabels}.gz`);
    const e404 = await downloadFashionMnist(join(root, 'dl-404'), { fetch: serve(missing) }).then(() => undefined, (err: unknown) => err);
    expect((e404 as DataError).message).toMatch(/t10k-labels-idx1-ubyte\.gz: HTTP 404 Not Found/);

    const corrupt = tinyDataset();
    const b = corrupt.get(`${FASHION_MNIST_FILES.testImages}.gz`)!;
    corrupt.set(`${FASHION_MNIST_FILES.testImages}.gz`, b.subarray(0, b.length - 4));
    const dir = join(root, 'dl-corrupt');
    const e = await downloadFashionMnist(dir, { fetch: serve(corrupt) }).then(() => undefined, (err: unknown) => err);
    expect(e).toBeInstanceOf(DataError);
    expect((e as DataError).message).toMatch(/t10k-images-idx3-ubyte\.gz \(in download from http:.*\): corrupt or truncated gzip/);
    expect(await readdir(dir).catch(() => 'absent')).toBe('absent');
  });

  it('times out a stalled server', async () => {
    const stalled: typeof fetch = (_input, init) =>
      new Promise((_, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal!.reason)));
    const e = await downloadFashionMnist(join(root, 'dl-stall'), { fetch: stalled, timeoutMs: 20 }).then(() => undefined, (err: unknown) => err);
    expect((e as DataError).message).toMatch(/train-images-idx3-ubyte\.gz: timed out$/m);
  });
});
