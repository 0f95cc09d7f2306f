import { fileURLToPath } from 'node:url';
import { playwright } from '@vitest/browser-playwright';
import { configDefaults, defineConfig } from 'vitest/config';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './test/browser/chromium.js';

/**
 * Three projects, run one group after the other (`sequence.groupOrder`) so that the two browser
 * groups never compete with the Node GPU tests for this machine's CPU (all three render on the CPU
 * when there is no GPU: lavapipe in Node, SwiftShader in Chromium):
 *  - node: every test under test/ in Node through Dawn, exactly as before the browser projects;
 *  - browser: the kernel tests again, inside Chromium's WebGPU (Vitest browser mode, Playwright);
 *  - e2e: the demo in a real Chromium, driven from Node (test/browser/*.e2e.test.ts).
 * `vitest run --project node` runs only the first; `npm run test:browser` only the last two.
 */

/** The same time limits everywhere: a hung GPU call fails its test instead of stalling CI. */
const limits = { testTimeout: 120_000, hookTimeout: 120_000, teardownTimeout: 30_000 };

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'node',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, 'test/browser/**'],
          // Child processes, not threads: Dawn's native binding keeps per-process state, and a crash in
          // one file must fail that file, not the runner.
          pool: 'forks',
          // No kernel tuning (src/tune): the tests run the cost model's plans, and the CLIs they spawn
          // never write a tuning cache into the home directory. test/kernels/tune.test.ts sets its own.
          env: { WGML_TUNE: 'off' },
          ...limits,
          sequence: { groupOrder: 0 },
        },
      },
      {
        // In a browser, src/gpu/device.ts takes navigator.gpu; the Node branch (Dawn's `webgpu`
        // package, node:os) is never reached there, and this keeps Vite from bundling it for Chromium.
        resolve: { alias: { webgpu: fileURLToPath(new URL('./test/browser/no-dawn.ts', import.meta.url)) } },
        optimizeDeps: { exclude: ['webgpu'] },
        // test/support/random.ts reads process.env.WGML_TEST_SEED, and a browser has no `process`:
        // the value (or null: a fresh seed) is written into the code instead, so replaying a seed
        // works the same way here: WGML_TEST_SEED=<seed> npm run test:browser.
        define: { 'process.env.WGML_TEST_SEED': JSON.stringify(process.env.WGML_TEST_SEED ?? null) },
        test: {
          name: 'browser',
          // Every kernel test file: SwiftShader runs even the 16M-element init and optimiser cases in
          // seconds (the whole set takes under a minute on 2 cores).
          include: ['test/kernels/*.test.ts'],
          setupFiles: ['test/browser/kernel-setup.ts'],
          browser: {
            enabled: true,
            headless: true,
            // Playwright drives Debian's Chromium (never a downloaded browser), with a fresh
            // temporary profile per launch (Playwright makes one; --user-data-dir is its to set).
            provider: playwright({ launchOptions: { executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS } }),
            instances: [{ browser: 'chromium' }],
            screenshotFailures: false,
          },
          // One file at a time: each acquires its own device, and SwiftShader already uses every core.
          fileParallelism: false,
          ...limits,
          sequence: { groupOrder: 1 },
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/browser/**/*.e2e.test.ts'],
          pool: 'forks',
          // One browser at a time: SwiftShader takes every core, and the demo's smoothness is measured.
          fileParallelism: false,
          ...limits,
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
});
