import { access, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin, type PreviewServer, type ViteDevServer } from 'vite';

/**
 * Two builds from one config:
 *  - default: the browser demo in demo/ (`npm run dev`, `npm run build`), using src/ as a library;
 *  - `--mode cli`: the Node command line as one ESM file, dist/wgml.js (the package's bin), with
 *    the WGSL shaders inlined by the same glob import the browser build uses.
 */
export default defineConfig(({ mode }) =>
  mode === 'cli'
    ? {
        build: {
          ssr: 'src/cli/main.ts',
          outDir: 'dist',
          emptyOutDir: false,
          target: 'node20',
          rollupOptions: { output: { entryFileNames: 'wgml.js' } },
        },
      }
    : {
        root: 'demo',
        // Relative asset URLs: the built site works from any folder of any static server.
        base: './',
        publicDir: false,
        plugins: [fashionMnistFiles(), noDawnInBrowser()],
        // Pre-bundled when the dev server starts, so a first visit never triggers a reload.
        optimizeDeps: { include: ['uplot', 'd3-scale', 'd3-scale-chromatic', 'd3-shape', 'fast-png'], exclude: ['webgpu'] },
        build: { outDir: '../dist/demo', emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 1024 },
        server: { fs: { allow: ['..'] } },
      },
);

/**
 * src/gpu/device.ts loads Dawn's Node package (and node:os) only where navigator.gpu is missing; in
 * a browser that branch must not pull Node modules into the bundle. Only client code is redirected:
 * Node runs through this config too (vite-node for the CLI, Vitest's Node tests), and needs Dawn.
 */
function noDawnInBrowser(): Plugin {
  const stub = fileURLToPath(new URL('./demo/src/node-stubs.ts', import.meta.url));
  const nodeOnly = new Set(['webgpu', 'node:os']);
  return {
    name: 'wgml-no-dawn-in-browser',
    enforce: 'pre',
    resolveId(id, _importer, options) {
      return nodeOnly.has(id) && !options?.ssr ? stub : null;
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
 * Serves Fashion-MNIST's four IDX files (as `<name>.gz` or `<name>`) at /data/fashion-mnist/ in
 * `vite` (dev) and `vite preview`, from the first place the Node loader would use. Only those
 * eight names are served: no other path on disk is reachable. A 404's body says where it looked.
 */
function fashionMnistFiles(): Plugin {
  const names = new Set(DATA_FILES.flatMap((f) => [f, `${f}.gz`]));
  const attach = (server: ViteDevServer | PreviewServer) => {
    server.middlewares.use(async (req, res, next) => {
      const path = (req.url ?? '').split('?')[0]!;
      const at = path.indexOf(DATA_PATH);
      if ((req.method !== 'GET' && req.method !== 'HEAD') || at < 0) return next();
      const name = decodeURIComponent(path.slice(at + DATA_PATH.length));
      if (!names.has(name)) return next();
      const where = await dataDirectory();
      let bytes: Buffer | undefined;
      if ('dir' in where) bytes = await readFile(join(where.dir, name)).catch(() => undefined);
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
  return { name: 'wgml-fashion-mnist-files', configureServer: attach, configurePreviewServer: attach };
}
