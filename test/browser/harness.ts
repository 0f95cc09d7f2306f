/**
 * What the browser end-to-end test and test/browser/screenshot.ts share: the demo's Vite dev server
 * started in-process, Debian's Chromium launched through playwright-core, and the page driven
 * the way a person would use it.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build, createServer } from 'vite';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './chromium.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface DemoServer {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * `vite` (the demo's dev server, with its data middleware) on a free port. No HMR and no file
 * watching: other work in the tree must not reload the page in the middle of a test.
 */
export async function startDemoServer(): Promise<DemoServer> {
  const server = await createServer({
    configFile: `${ROOT}/vite.config.ts`,
    root: `${ROOT}/demo`,
    mode: 'development',
    logLevel: 'warn',
    clearScreen: false,
    server: { host: '127.0.0.1', port: 0, hmr: false, watch: null },
  });
  await server.listen();
  const url = server.resolvedUrls?.local[0];
  if (!url) {
    await server.close();
    throw new Error('the Vite dev server did not report its URL');
  }
  return { url, close: () => server.close() };
}

/**
 * `npm run build`'s site, built into `outDir` with `env` set while the config is read (e.g.
 * WGML_DATA_URL=none for a site without data).
 */
export async function buildDemoSite(outDir: string, env: Record<string, string> = {}): Promise<void> {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    await build({ configFile: `${ROOT}/vite.config.ts`, root: `${ROOT}/demo`, mode: 'production', logLevel: 'warn', build: { outDir, emptyOutDir: true } });
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json', '.svg': 'image/svg+xml', '.wasm': 'application/wasm',
};

/**
 * A plain static file server (no Vite, no middleware) for `dir` on a free port: files as they are,
 * by extension's type (.gz as bytes: the page decompresses them), 404 for anything else.
 */
export async function serveStatic(dir: string): Promise<DemoServer> {
  const server = createHttpServer(async (req, res) => {
    const path = normalize(decodeURIComponent((req.url ?? '/').split('?')[0]!)).replace(/^(\.\.[/\\])+/, '');
    const file = join(dir, path.endsWith('/') ? `${path}index.html` : path);
    try {
      const bytes = await readFile(file);
      res.writeHead(200, { 'Content-Type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream', 'Content-Length': bytes.byteLength });
      res.end(bytes);
    } catch {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('not found');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`${CHROMIUM_PATH} not found: the browser tests need Debian's Chromium. Run \`bash scripts/setup.sh\` (it installs it), or set WGML_CHROMIUM.`);
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
}

export interface OpenPage {
  readonly page: Page;
  /** Uncaught exceptions and console errors, for a test to assert there were none. */
  readonly errors: string[];
}

export async function openDemo(browser: Browser, url: string, options: { withoutWebGpu?: boolean; withoutStorage?: boolean } = {}): Promise<OpenPage> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 }, acceptDownloads: true });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console error: ${m.text()}`);
  });
  // Main-thread tasks over 50 ms (the Long Tasks API), to show the page stays responsive.
  await page.addInitScript(() => {
    const w = window as unknown as { __longTasks: { start: number; duration: number }[] };
    w.__longTasks = [];
    new PerformanceObserver((list) => list.getEntries().forEach((e) => w.__longTasks.push({ start: e.startTime, duration: e.duration }))).observe({ type: 'longtask', buffered: true });
  });
  // A browser without WebGPU, as far as the page can tell.
  if (options.withoutWebGpu) await page.addInitScript(() => delete (Navigator.prototype as { gpu?: unknown }).gpu);
  // Storage refused, as some private windows refuse IndexedDB.
  if (options.withoutStorage) {
    await page.addInitScript(() => {
      IDBFactory.prototype.open = () => {
        throw new DOMException('The user denied permission to access the database.', 'SecurityError');
      };
    });
  }
  await page.goto(url);
  await page.waitForSelector('body[data-ready]', { timeout: 60_000 });
  return { page, errors };
}

/** The adapter line, or the page's own explanation of why there is no WebGPU. */
export async function webGpuState(page: Page): Promise<{ ready: boolean; text: string }> {
  const ready = (await page.getAttribute('#adapter', 'data-state')) === 'ready';
  const text = ready
    ? (await page.textContent('#adapter'))!
    : `${await page.textContent('#gpu-error-message')} ${await page.textContent('#gpu-error-hint')}`;
  return { ready, text };
}

export interface RunSettings {
  model: 'one-hidden' | 'mlp' | 'cnn';
  trainImages: number;
  testImages: number;
  epochs: number;
}

/** Waits for the dataset (the page fetches it from the dev server by itself), then fills in the settings. */
export async function prepareRun(page: Page, s: RunSettings): Promise<void> {
  await page.waitForSelector('#data-status[data-state="loaded"], #data-status[data-state="error"]', { timeout: 120_000 });
  const data = await page.getAttribute('#data-status', 'data-state');
  if (data !== 'loaded') throw new Error(`the demo could not load Fashion-MNIST: ${await page.textContent('#data-status')}`);
  await page.selectOption('#model', s.model);
  await page.fill('#train-limit', String(s.trainImages));
  await page.fill('#test-limit', String(s.testImages));
  await page.fill('#epochs', String(s.epochs));
}

/** Waits until the run has ended; returns the status line (which fails a test that expects success). */
export async function waitForRunEnd(page: Page, timeout: number): Promise<{ state: string; text: string }> {
  // Polled twice a second rather than watched every frame: the test's own work on the page's
  // thread stays out of the smoothness it measures.
  await page.waitForFunction(() => ['done', 'error'].includes((document.querySelector('#run-status') as HTMLElement | null)?.dataset.state ?? ''), null, { polling: 500, timeout });
  return { state: (await page.getAttribute('#run-status', 'data-state'))!, text: (await page.textContent('#run-status'))! };
}

/** Draws a filled T-shirt-like shape on the pad with the mouse. */
export async function drawShirt(page: Page): Promise<void> {
  const pad = page.locator('#pad');
  await pad.scrollIntoViewIfNeeded();
  const box = (await pad.boundingBox())!;
  const at = (x: number, y: number) => page.mouse.move(box.x + x, box.y + y, { steps: 4 });
  // Outline, then horizontal strokes to fill the body and sleeves.
  await at(80, 40);
  await page.mouse.down();
  for (const [x, y] of [[200, 40], [250, 100], [215, 115], [210, 255], [70, 255], [65, 115], [30, 100], [80, 40]] as const) await at(x, y);
  await page.mouse.up();
  for (let y = 55; y <= 245; y += 18) {
    const sleeve = y < 110;
    await at(sleeve ? 45 : 75, y);
    await page.mouse.down();
    await at(sleeve ? 235 : 205, y);
    await page.mouse.up();
  }
}

/** The ten probabilities the page shows once a prediction has come back. */
export async function shownProbabilities(page: Page, timeout = 60_000): Promise<number[]> {
  await page.waitForSelector('#probabilities[data-state="ready"]', { timeout });
  // A stroke's last prediction may still be on its way: wait until the page is idle, then read.
  await page.waitForFunction(() => !document.body.dataset.predicting, null, { timeout });
  return page.$$eval('#probabilities li', (items) => items.map((li) => Number((li as HTMLElement).dataset.probability)));
}

/** Durations (ms) of the main thread's long tasks (over 50 ms) since `since` (page time, ms). */
export function longTasks(page: Page, since = 0): Promise<number[]> {
  return page.evaluate(
    (t) => (window as unknown as { __longTasks: { start: number; duration: number }[] }).__longTasks.filter((e) => e.start >= t).map((e) => e.duration),
    since,
  );
}

/**
 * Durations (ms) of the main thread's long tasks during epoch `epoch` of the page's run: from the
 * page's 'wgml:epoch-start' mark for it to its 'wgml:epoch-end' mark (after the epoch's results are
 * drawn), so the whole epoch, its evaluation and its figures count. Each with when it began (ms
 * into the epoch) and the epoch's length, to tell where it fell.
 */
export function longTasksInEpoch(page: Page, epoch: number): Promise<{ duration: number; at: number; epochMs: number }[]> {
  return page.evaluate((n) => {
    const mark = (name: string) => performance.getEntriesByName(name, 'mark').find((m) => (m as PerformanceMark).detail?.epoch === n);
    const start = mark('wgml:epoch-start');
    const end = mark('wgml:epoch-end');
    if (!start || !end) throw new Error(`the page has no marks for epoch ${n}`);
    return (window as unknown as { __longTasks: { start: number; duration: number }[] }).__longTasks
      .filter((t) => t.start + t.duration > start.startTime && t.start < end.startTime)
      .map((t) => ({ duration: Math.round(t.duration), at: Math.round(t.start - start.startTime), epochMs: Math.round(end.startTime - start.startTime) }));
  }, epoch);
}

/** The page's clock (performance.now()), to pair with longTasks. */
export function pageNow(page: Page): Promise<number> {
  return page.evaluate(() => performance.now());
}

/** One row of the page's epoch table: the epoch and the exact validation accuracy (not the rounded text). */
export interface ShownEpoch {
  epoch: number;
  valAccuracy: number;
}

export function epochTable(page: Page): Promise<ShownEpoch[]> {
  return page.$$eval('#epoch-table tbody tr', (rows) =>
    rows.map((row) => ({
      epoch: Number(row.querySelector('td')?.textContent),
      valAccuracy: Number((row.querySelector('td[data-val-accuracy]') as HTMLElement | null)?.dataset.valAccuracy),
    })));
}

/**
 * Crashes the browser's GPU process, as opening chrome://gpucrash does: every WebGPU device in
 * every page is lost (reason 'unknown'), and the browser starts a new GPU process for the next
 * requestAdapter(). chrome://gpucrash itself does nothing here: Chromium handles such debug URLs only
 * when a person types them, and a navigation from Playwright (or CDP's Page.navigate, even with
 * transitionType 'typed') ends in net::ERR_ABORTED without a crash; the DevTools protocol's
 * Browser.crashGpuProcess is the same crash, on request. No test hook in the page is needed.
 */
export async function crashGpuProcess(browser: Browser): Promise<void> {
  const cdp = await browser.newBrowserCDPSession();
  try {
    await cdp.send('Browser.crashGpuProcess');
  } finally {
    await cdp.detach();
  }
}

/** A file for dropFiles: its name and bytes (or text). */
export interface DroppedFile {
  name: string;
  bytes: Uint8Array | string;
  type?: string;
}

/**
 * Drops `files` on the element `selector`, as a person dragging them from a file manager would:
 * File objects in a DataTransfer, and the dragenter, dragover and drop events a real drag fires.
 */
export async function dropFiles(page: Page, selector: string, files: readonly DroppedFile[]): Promise<void> {
  const payload = files.map((f) => ({
    name: f.name,
    type: f.type ?? 'application/octet-stream',
    base64: Buffer.from(typeof f.bytes === 'string' ? new TextEncoder().encode(f.bytes) : f.bytes).toString('base64'),
  }));
  await page.locator(selector).evaluate((target, list) => {
    const transfer = new DataTransfer();
    for (const f of list) {
      const binary = atob(f.base64);
      const bytes = new Uint8Array(binary.length);
      for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
      transfer.items.add(new File([bytes], f.name, { type: f.type }));
    }
    for (const type of ['dragenter', 'dragover', 'drop']) {
      target.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: transfer }));
    }
  }, payload);
}
