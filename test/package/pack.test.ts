/**
 * The published package, as a user gets it: `npm pack` (which runs `prepare`: the CLI, the Node and
 * browser library builds, the bundled declarations), then `npm install <tarball>` into an empty
 * project in a temporary folder, and from there: both entries load in Node, a strict nodenext
 * TypeScript consumer type-checks without skipLibCheck, the `wgml` bin runs, a Vite browser app
 * bundles `wgml` without Dawn and trains a CNN in Chromium, and every examples/*.mjs runs with
 * plain `node`.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../browser/chromium.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const EXAMPLES = join(REPO, 'examples');
const TEN_MINUTES = 600_000;
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const NPX = process.platform === 'win32' ? 'npx.cmd' : 'npx';

/** Examples need WebGPU; the Vulkan loader wants XDG_RUNTIME_DIR. */
const env: NodeJS.ProcessEnv = { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? tmpdir() };
// The test may run under `npm test`: npm's own variables must not leak into the nested npm calls.
for (const key of Object.keys(env)) if (key.startsWith('npm_')) delete env[key];

/** Runs a command to completion (or its time limit); never throws, so the caller can show its output. */
function run(command: string, args: string[], cwd: string, timeout = TEN_MINUTES): SpawnSyncReturns<string> {
  return spawnSync(command, args, { cwd, env, encoding: 'utf8', timeout, maxBuffer: 64 * 1024 * 1024 });
}

/** What a failed (or unexpectedly successful) command said, for the assertion message. */
function describeRun(what: string, r: SpawnSyncReturns<string>): string {
  const how = r.error ? `failed to run or timed out (${r.error.message})` : `exited ${r.status ?? r.signal}`;
  return `${what} ${how}\n--- stdout ---\n${r.stdout ?? ''}\n--- stderr ---\n${r.stderr ?? ''}`;
}

function expectSuccess(what: string, r: SpawnSyncReturns<string>): void {
  if (r.status !== 0) {
    process.stderr.write(`${describeRun(what, r)}\n`);
    expect.fail(describeRun(what, r));
  }
}

const examples = existsSync(EXAMPLES) ? readdirSync(EXAMPLES).filter((f) => f.endsWith('.mjs')).sort() : [];

/**
 * A browser app as a user writes it: a CNN on synthetic 8x8 colour images (a square's quadrant is
 * the class) trained, evaluated, used to predict, saved and reloaded; the result lands in the page.
 */
const BROWSER_APP = `import { requestGpu, Sequential, Conv2d, MaxPool2d, Flatten, Dense, createDataset, loadModel } from 'wgml';

function images(count, seed) {
  let s = seed;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const x = new Uint8Array(count * 8 * 8 * 3);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const c = Math.floor(next() * 4);
    labels[i] = c;
    for (let y = 0; y < 8; y++) for (let xx = 0; xx < 8; xx++) for (let ch = 0; ch < 3; ch++) {
      const inside = (xx >= 4) === (c % 2 === 1) && (y >= 4) === (c >= 2);
      x[((i * 8 + y) * 8 + xx) * 3 + ch] = Math.floor(next() * 60) + (inside ? 150 : 0);
    }
  }
  return { images: x, labels };
}

async function main() {
  const gpu = await requestGpu();
  const data = createDataset({ train: images(600, 1), test: images(200, 2), shape: [8, 8, 3] }, { preprocessing: 'scale01' });
  const model = new Sequential({ input: [8, 8, 3], layers: [
    new Conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }), new MaxPool2d({ poolSize: 2 }),
    new Flatten(), new Dense({ units: 4, activation: 'softmax' })] });
  await model.compile(gpu, { seed: 1 });
  const history = await model.fit(data, { epochs: 4, batchSize: 32, lr: 0.01 });
  const { accuracy } = await model.evaluate(data);
  const some = data.test.images.subarray(0, 10 * 192);
  const p = await model.predict(some);
  const rowsSumToOne = Array.from({ length: 10 }, (_, r) => p.subarray(r * 4, r * 4 + 4).reduce((a, b) => a + b, 0)).every((t) => Math.abs(t - 1) < 1e-5);
  const reloaded = loadModel(await model.save());
  await reloaded.compile(gpu);
  const q = await reloaded.predict(some);
  document.body.dataset.result = JSON.stringify({ epochs: history.epochs.length, accuracy, rowsSumToOne, reloadedSame: p.every((v, i) => v === q[i]) });
  reloaded.release();
  model.release();
  gpu.release();
}
main().catch((e) => { document.body.dataset.error = String((e && e.stack) || e); });
`;

describe('the npm package, installed from its tarball', { timeout: TEN_MINUTES }, () => {
  let work: string;
  let project: string;
  let packed: string[] = [];

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'wgml-pack-'));
    project = join(work, 'project');
    mkdirSync(project);

    // npm pack runs `prepare`: every build the package ships.
    const pack = run(NPM, ['pack', '--json', '--pack-destination', work], REPO);
    expectSuccess('npm pack', pack);
    // The JSON report, after whatever `prepare` may have printed (a warning can start with '[' too).
    const report = pack.stdout.slice(Math.max(0, pack.stdout.search(/^\[\s*\{/m)));
    const [info] = JSON.parse(report) as { filename: string; files: { path: string }[] }[];
    packed = info!.files.map((f) => f.path);

    writeFileSync(join(project, 'package.json'), `${JSON.stringify({ name: 'wgml-consumer', version: '0.0.0', private: true, type: 'module' }, null, 2)}\n`);
    const install = run(NPM, ['install', join(work, info!.filename), '--no-audit', '--no-fund', '--prefer-offline'], project);
    expectSuccess('npm install <tarball>', install);
  }, TEN_MINUTES);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('ships the builds and declarations, and neither sources nor the demo', () => {
    for (const file of ['package.json', 'README.md', 'dist/index.d.ts', 'dist/node.d.ts', 'dist/browser/index.js', 'dist/node/index.js', 'dist/node/node.js', 'dist/wgml.js']) {
      expect(packed, file).toContain(file);
    }
    expect(packed.filter((f) => /^(src|shaders|test|demo|dist\/demo)\//.test(f))).toEqual([]);
  });

  it('loads both entries in Node, sharing one copy of every module', () => {
    const script = (specifier: string, fn: string) =>
      `import(${JSON.stringify(specifier)}).then((m) => { if (typeof m.${fn} !== 'function') { console.error(${JSON.stringify(`${specifier} has no function ${fn}; it exports:`)}, Object.keys(m).join(', ')); process.exit(1); } })`;
    expectSuccess("import('wgml')", run(process.execPath, ['-e', script('wgml', 'requestGpu')], project));
    expectSuccess("import('wgml/node')", run(process.execPath, ['-e', script('wgml/node', 'loadFashionMnistFromDisk')], project));
    // What both entries export must be the same object (e.g. the error classes, for instanceof).
    const shared = `Promise.all([import('wgml'), import('wgml/node')]).then(([a, b]) => {
      const twice = Object.keys(a).filter((k) => k in b && a[k] !== b[k]);
      if (twice.length) { console.error('two copies of: ' + twice.join(', ')); process.exit(1); }
    })`;
    expectSuccess('wgml and wgml/node share their modules', run(process.execPath, ['-e', shared], project));
  });

  it('resolves to the browser build under the "browser" condition, whose Dawn stub says what is missing', () => {
    const script = `import('wgml').then((m) => m.requestGpu()).then(
      () => { console.error('requestGpu succeeded in the browser build without navigator.gpu'); process.exit(1); },
      (e) => { if (!/navigator\\.gpu is missing/.test(e.message)) { console.error(e); process.exit(1); } })`;
    expectSuccess('the browser build in Node', run(process.execPath, ['--conditions=browser', '-e', script], project));
  });

  it('type-checks a strict nodenext consumer without skipLibCheck, and reports its type errors', () => {
    const tsc = join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');
    const compilerOptions = {
      strict: true,
      module: 'nodenext',
      moduleResolution: 'nodenext',
      target: 'es2022',
      noEmit: true,
      // Nothing but what the package's own declarations reference (no @types/node, no vite/client).
      types: [],
    };
    writeFileSync(
      join(project, 'consumer.ts'),
      [
        "import { requestGpu, type Gpu } from 'wgml';",
        "import * as wgml from 'wgml';",
        "import * as wgmlNode from 'wgml/node';",
        '',
        'export async function adapter(): Promise<string> {',
        '  const gpu: Gpu = await requestGpu();',
        '  const device: GPUDevice = gpu.device;',
        '  const limit: number = device.limits.maxStorageBufferBindingSize;',
        '  gpu.release();',
        '  return `${limit}`;',
        '}',
        'export const entries: object[] = [wgml, wgmlNode];',
        '',
      ].join('\n'),
    );
    writeFileSync(join(project, 'wrong.ts'), "import { requestGpu } from 'wgml';\n\nexport const notANumber: number = requestGpu;\n");
    writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['consumer.ts', 'wrong.ts'] }, null, 2));

    // One run: the deliberate error must be reported, and it must be the only one (none in
    // consumer.ts, none in the package's declarations), so the check cannot pass vacuously.
    const check = run(process.execPath, [tsc, '-p', 'tsconfig.json'], project);
    const errors = check.stdout.split('\n').filter((line) => /error TS\d+/.test(line));
    expect(check.status, describeRun('tsc on the consumer', check)).not.toBe(0);
    expect(errors, describeRun('tsc on the consumer', check)).toHaveLength(1);
    expect(errors[0]).toMatch(/^wrong\.ts\(3,14\): error TS2322/);
  });

  it('runs the installed `wgml` bin', () => {
    const help = run(NPX, ['--no-install', 'wgml', '--help'], project);
    expectSuccess('npx wgml --help', help);
    expect(help.stdout).toMatch(/train/);
  });

  it('bundles into a Vite browser app without Dawn', () => {
    const app = join(project, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'index.html'), '<!doctype html>\n<script type="module" src="./main.js"></script>\n');
    writeFileSync(
      join(app, 'main.js'),
      BROWSER_APP,
    );
    // A plain object: the config lives outside the repo, where `vite` itself cannot be imported.
    writeFileSync(
      join(app, 'vite.config.mjs'),
      `export default ${JSON.stringify({ root: app, logLevel: 'warn', build: { outDir: join(app, 'dist'), emptyOutDir: true, minify: false } })};\n`,
    );
    const vite = join(REPO, 'node_modules', 'vite', 'bin', 'vite.js');
    expectSuccess('vite build (browser app)', run(process.execPath, [vite, 'build', '--config', join(app, 'vite.config.mjs')], app));

    const assets = join(app, 'dist', 'assets');
    const code = readdirSync(assets)
      .filter((f) => f.endsWith('.js'))
      .map((f) => readFileSync(join(assets, f), 'utf8'))
      .join('\n');
    expect(code).toContain('navigator.gpu is missing'); // the stub took Dawn's place
    expect(code).not.toMatch(/import\(\s*["']webgpu["']\s*\)|from\s*["']webgpu["']|require\(\s*["']webgpu["']\s*\)/);
    expect(code).not.toMatch(/dawn\.node|["']node:[a-z_/]+["']/);
  });

  it('trains, evaluates, predicts, saves and reloads a CNN in Chromium from that bundle', async () => {
    const dist = join(project, 'app', 'dist');
    expect(existsSync(join(dist, 'index.html')), 'the browser app was not built').toBe(true);
    const server = createServer((req, res) => {
      const path = join(dist, decodeURIComponent((req.url ?? '/').split('?')[0]!).replace(/^\/$/, '/index.html'));
      if (!path.startsWith(dist) || !existsSync(path)) return void res.writeHead(404).end();
      res.writeHead(200, { 'Content-Type': path.endsWith('.js') ? 'text/javascript' : 'text/html' }).end(readFileSync(path));
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage();
      await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      await page.waitForFunction(() => document.body.dataset.result || document.body.dataset.error, null, { timeout: 300_000 });
      const error = await page.evaluate(() => document.body.dataset.error);
      expect(error).toBeUndefined();
      const result = JSON.parse((await page.evaluate(() => document.body.dataset.result))!);
      expect(result.epochs).toBe(4);
      expect(result.accuracy).toBeGreaterThan(0.9);
      expect(result.rowsSumToOne).toBe(true);
      expect(result.reloadedSame).toBe(true);
    } finally {
      await browser.close();
      server.close();
    }
  });

  it('has examples to run', () => {
    expect(examples, `no examples/*.mjs in ${EXAMPLES}: the package test runs each of them against the installed package`).not.toEqual([]);
  });

  it.each(examples)('runs examples/%s with plain node', (example) => {
    const copy = join(project, 'examples');
    if (!existsSync(copy)) cpSync(EXAMPLES, copy, { recursive: true });
    expectSuccess(`node examples/${example}`, run(process.execPath, [join(copy, example)], project));
  }, TEN_MINUTES + 30_000);
});
