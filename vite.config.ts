import { readFileSync } from 'node:fs';
import { access, readFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin, type PreviewServer, type UserConfig, type ViteDevServer } from 'vite';

/**
 * Four builds from one config:
 *  - default: the browser demo in demo/ (`npm run dev`, `npm run build`), using src/ as a library;
 *  - `--mode cli`: the Node command line as one ESM file, dist/wgml.js (the package's bin), with
 *    the WGSL shaders inlined by the same glob import the browser build uses;
 *  - `--mode lib`: the package's Node build, dist/node/: src/index.ts (`wgml`) and src/node.ts
 *    (`wgml/node`) as two entries of one build, so that they share chunks (one copy of each module,
 *    and of its state, whichever of the two a program imports);
 *  - `--mode lib-browser`: the package's build for everything else, dist/browser/: src/index.ts
 *    alone, with Dawn's `webgpu` package replaced by a stub (see noDawnInLibrary).
 * The package's `exports` (package.json) pick between the two; scripts/build-types.mjs bundles the
 * declarations next to them. All of it: `npm run build:lib`.
 */
export default defineConfig(async ({ mode }): Promise<UserConfig> =>
  mode === 'lib'
    ? libraryBuild('node')
    : mode === 'lib-browser'
    ? libraryBuild('browser')
    : mode === 'cli'
    ? {
        build: {
          ssr: 'src/cli/main.ts',
          outDir: 'dist',
          emptyOutDir: false,
          target: 'node20',
          // One file: the bin's filtering parent imports the command line lazily (src/cli/main.ts).
          rollupOptions: { output: { entryFileNames: 'wgml.js', inlineDynamicImports: true } },
        },
      }
    : {
        root: 'demo',
        // Relative asset URLs: the built site works from any folder of any static server.
        base: './',
        publicDir: false,
        plugins: [await fashionMnistFiles(), noDawnInBrowser()],
        define: { __WGML_TUNE__: JSON.stringify(demoTuneMode()) },
        // The training and figures workers import the library as modules, like the page.
        worker: { format: 'es' as const },
        // Pre-bundled when the dev server starts, so a first visit never triggers a reload.
        optimizeDeps: { include: ['uplot', 'd3-scale', 'd3-scale-chromatic', 'd3-shape', 'fast-png'], exclude: ['webgpu'] },
        build: { outDir: '../dist/demo', emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 1024 },
        server: { fs: { allow: ['..'] } },
      },
);

/**
 * The demo's kernel tuning mode (demo/src/tuning.ts): $WGML_TUNE, as for the command line, else
 * 'on'. Written into the page and its worker when they are built, since a worker cannot read the
 * page's URL, and the page has no environment.
 */
function demoTuneMode(): string {
  const modes = ['off', 'on', 'force'];
  const mode = process.env.WGML_TUNE || 'on';
  if (!modes.includes(mode)) throw new Error(`$WGML_TUNE must be one of ${modes.join(', ')}, got '${mode}'`);
  return mode;
}

/**
 * src/gpu/device.ts loads Dawn's Node package only where navigator.gpu is missing; in
 * a browser that branch must not pull Node modules into the bundle. Only client code is redirected:
 * Node runs through this config too (vite-node for the CLI, Vitest's Node tests), and needs Dawn.
 */
function noDawnInBrowser(): Plugin {
  const stub = fileURLToPath(new URL('./demo/src/node-stubs.ts', import.meta.url));
  const nodeOnly = new Set(['webgpu']);
  return {
    name: 'wgml-no-dawn-in-browser',
    enforce: 'pre',
    resolveId(id, _importer, options) {
      return nodeOnly.has(id) && !options?.ssr ? stub : null;
    },
  };
}

/** The package's dependencies: the library builds import them, never copy them in. */
const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as {
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
};
const DEPENDENCIES = Object.keys({ ...pkg.dependencies, ...pkg.peerDependencies });
const isNodeBuiltin = (id: string) => id.startsWith('node:') || builtinModules.includes(id.split('/')[0]!);
const isDependency = (id: string) => DEPENDENCIES.some((d) => id === d || id.startsWith(`${d}/`));

/**
 * The package's library builds (see the top of this file). Unminified ES modules (an application's
 * bundler minifies), the shaders inlined, every dependency and Node builtin left as an import.
 */
function libraryBuild(target: 'node' | 'browser'): UserConfig {
  const node = target === 'node';
  return {
    publicDir: false,
    plugins: node ? [] : [noDawnInLibrary()],
    build: {
      outDir: `dist/${target}`,
      emptyOutDir: true,
      target: node ? 'node20' : 'es2022',
      minify: false,
      reportCompressedSize: false,
      lib: { entry: node ? { index: 'src/index.ts', node: 'src/node.ts' } : { index: 'src/index.ts' }, formats: ['es'] },
      rolldownOptions: {
        // The browser build resolves `webgpu` and Node's builtins itself: the stub, or an error.
        external: (id) => (node ? isNodeBuiltin(id) : false) || (isDependency(id) && (node || id !== 'webgpu')),
        // One file in the browser build (the stub inlined); shared chunks in the Node build.
        output: { entryFileNames: '[name].js', chunkFileNames: 'chunks/[name]-[hash].js', ...(node ? {} : { codeSplitting: false }) },
      },
    },
  };
}

/**
 * In the browser build of `wgml`, src/gpu/device.ts's `await import('webgpu')` (reached only where
 * navigator.gpu is missing) loads this stub instead of Dawn, so no application bundle ever pulls in
 * Dawn's Node binding; run anyway, it says why. A Node builtin reached from src/index.ts fails the
 * build: the public entry must stay browser-safe (Node-only code belongs in src/node.ts).
 */
function noDawnInLibrary(): Plugin {
  const STUB = '\0wgml:no-dawn';
  const message = 'navigator.gpu is missing: this JavaScript environment does not expose WebGPU. wgml was resolved to its browser build here; in Node, import it with the "node" export condition (plain Node does), which uses Dawn\'s `webgpu` package.';
  return {
    name: 'wgml-no-dawn-in-library',
    enforce: 'pre',
    resolveId(id, importer) {
      if (id === 'webgpu') return STUB;
      if (isNodeBuiltin(id)) this.error(`${importer ?? 'an entry'} imports the Node builtin '${id}', which the browser-safe entry src/index.ts must not reach (Node-only code belongs in src/node.ts).`);
      return null;
    },
    load(id) {
      if (id !== STUB) return null;
      const fail = `throw new Error(${JSON.stringify(message)});`;
      return `export function create() { ${fail} }\nexport const globals = {};\nexport default { create, globals };\n`;
    },
  };
}

/** The URL path the demo fetches the dataset from (relative to the page). */
const DATA_PATH = '/data/fashion-mnist/';

/** src/data/fashion-mnist.ts's FASHION_MNIST_FILES, with and without .gz. */
const DATA_FILES = ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'];

/**
 * The first directory holding all four files, in the Node loader's order (src/data/locate-node.ts:
 * $WGML_DATA, ./data/fashion-mnist, /usr/share/datasets/fashion-mnist), or where it looked. The
 * loader itself is not imported: the config file would then pull half of src/data into its bundle.
 */
async function dataDirectory(): Promise<{ dir: string } | { looked: string[] }> {
  const env = process.env.WGML_DATA;
  const candidates = [...(env ? [resolve(env)] : []), resolve('data/fashion-mnist'), '/usr/share/datasets/fashion-mnist'];
  const exists = (path: string) => access(path).then(() => true, () => false);
  for (const dir of candidates) {
    const found = await Promise.all(DATA_FILES.map(async (f) => (await exists(join(dir, `${f}.gz`))) || exists(join(dir, f))));
    if (found.every(Boolean)) return { dir };
  }
  return { looked: candidates };
}

/**
 * Where the demo page finds Fashion-MNIST, known when the page is built (the page reads it as
 * `__WGML_DATA__`, so it never probes for files that are not there, and logs no failed request):
 * the URL its four files are at (relative to the page, or absolute) and their names, or null.
 */
export interface DemoDataManifest {
  url: string;
  files: string[];
}

/**
 * Fashion-MNIST for the demo page, from the first place the Node loader would use
 * (dataDirectory):
 *  - `vite` (dev) and `vite preview` serve its four IDX files (as `<name>.gz` or `<name>`) at
 *    data/fashion-mnist/; only those eight names are served, no other path on disk is reachable;
 *  - `vite build` copies them into the site (dist/demo/data/fashion-mnist/), so that it works from
 *    any static server; or, with WGML_DATA_URL set, the page fetches the official gzipped files from
 *    that URL instead (the site then holds no data; WGML_DATA_URL=none: no data, no URL);
 *  - with neither, the page says how to load data (files a person chooses or drops).
 */
async function fashionMnistFiles(): Promise<Plugin> {
  const names = new Set(DATA_FILES.flatMap((f) => [f, `${f}.gz`]));
  const where = await dataDirectory();
  const found = 'dir' in where ? await filesIn(where.dir) : null;
  // WGML_DATA_URL=none: a site without data (the page asks for files).
  const given = process.env.WGML_DATA_URL;
  const url = given && given !== 'none' ? given : null;
  const none = given === 'none';
  let manifest: DemoDataManifest | null = null;
  if (url) manifest = { url, files: DATA_FILES.map((f) => `${f}.gz`) };
  else if (found && !none) manifest = { url: DATA_PATH.slice(1), files: found.map((f) => f.name) };

  const attach = (server: ViteDevServer | PreviewServer) => {
    server.middlewares.use(async (req, res, next) => {
      const path = (req.url ?? '').split('?')[0]!;
      const at = path.indexOf(DATA_PATH);
      if ((req.method !== 'GET' && req.method !== 'HEAD') || at < 0) return next();
      const name = decodeURIComponent(path.slice(at + DATA_PATH.length));
      if (!names.has(name)) return next();
      const file = found?.find((f) => f.name === name);
      const bytes = file && (await readFile(file.path).catch(() => undefined));
      if (!bytes) {
        res.statusCode = 404;
        res.setHeader('Content-Type', 'text/plain; charset=utf-8');
        res.end('dir' in where ? `${name} is not in ${where.dir}` : `Fashion-MNIST not found; looked in ${where.looked.join(', ')}`);
        return;
      }
      res.statusCode = 200;
      // The bytes as stored: the page decompresses .gz itself (DecompressionStream).
      res.setHeader('Content-Type', 'application/octet-stream');
      res.setHeader('Content-Length', String(bytes.byteLength));
      res.setHeader('Cache-Control', 'no-cache');
      res.end(req.method === 'HEAD' ? undefined : bytes);
    });
  };
  return {
    name: 'wgml-fashion-mnist-files',
    config: () => ({ define: { __WGML_DATA__: JSON.stringify(manifest) } }),
    configureServer: attach,
    configurePreviewServer: attach,
    async generateBundle() {
      if (url || none || !found) {
        this.info(url ? `Fashion-MNIST: the page fetches it from ${url}` : none ? 'WGML_DATA_URL=none: the site holds no data' : `Fashion-MNIST not found (looked in ${'looked' in where ? where.looked.join(', ') : ''}): the site asks for data files`);
        return;
      }
      for (const f of found) this.emitFile({ type: 'asset', fileName: `${DATA_PATH.slice(1)}${f.name}`, source: await readFile(f.path) });
    },
  };
}

/** The four files in `dir`, each as `<name>.gz` when present, else `<name>`. */
async function filesIn(dir: string): Promise<{ name: string; path: string }[]> {
  const exists = (path: string) => access(path).then(() => true, () => false);
  return Promise.all(DATA_FILES.map(async (f) => {
    const name = (await exists(join(dir, `${f}.gz`))) ? `${f}.gz` : f;
    return { name, path: join(dir, name) };
  }));
}
