/**
 * The demo as `npm run build` makes it, served by a plain static file server (no Vite, no data
 * middleware), as it would be from any static host: with the Fashion-MNIST files the build found
 * on this machine, it loads them and trains in the worker with no console errors; built without
 * data (WGML_DATA_URL=none), it requests no data file and says how to load some.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDemoSite, launchChromium, openDemo, prepareRun, serveStatic, waitForRunEnd, webGpuState } from './harness';

let browser: Browser;
let scratch: string;

beforeAll(async () => {
  browser = await launchChromium();
  scratch = await mkdtemp(join(tmpdir(), 'wgml-site-'));
});

afterAll(async () => {
  await browser?.close();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe('the built site on a plain static server', () => {
  it('holds Fashion-MNIST and trains in a worker, with no console errors', async () => {
    const dir = join(scratch, 'with-data');
    await buildDemoSite(dir);
    expect((await readdir(join(dir, 'data', 'fashion-mnist'))).sort()).toEqual([
      't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz', 'train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz',
    ]);
    const server = await serveStatic(dir);
    try {
      const requested: string[] = [];
      const { page, errors } = await openDemo(browser, server.url);
      page.on('response', (r) => requested.push(`${r.status()} ${new URL(r.url()).pathname}`));
      expect((await webGpuState(page)).ready).toBe(true);
      expect(await page.getAttribute('#adapter', 'data-thread')).toBe('worker');
      await prepareRun(page, { model: 'one-hidden', trainImages: 1_000, testImages: 500, epochs: 1 });
      await page.click('#start');
      const end = await waitForRunEnd(page, 180_000);
      expect(end.state, end.text).toBe('done');
      expect(await page.locator('#confusion svg rect.cell').count()).toBe(100);
      expect(requested.filter((r) => !r.startsWith('200') && !r.startsWith('304'))).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      await server.close();
    }
  }, 300_000);

  it('built without data, asks for files instead of requesting any', async () => {
    const dir = join(scratch, 'without-data');
    await buildDemoSite(dir, { WGML_DATA_URL: 'none' });
    expect(await readdir(dir)).not.toContain('data');
    const server = await serveStatic(dir);
    try {
      const { page, errors } = await openDemo(browser, server.url);
      await page.waitForSelector('#data-status[data-state="empty"]');
      expect(await page.textContent('#data-status')).toMatch(/holds no dataset: choose or drop the files/);
      expect(await page.isHidden('#load-server')).toBe(true);
      expect(await page.isDisabled('#start')).toBe(true);
      expect(errors).toEqual([]);
    } finally {
      await server.close();
    }
  }, 120_000);
});
