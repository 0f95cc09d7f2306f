import { defineConfig } from 'vite';

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
        publicDir: false,
        build: { outDir: '../dist/demo', emptyOutDir: true, target: 'es2022' },
        server: { fs: { allow: ['..'] } },
      },
);
