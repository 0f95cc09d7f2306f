import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Child processes, not threads: Dawn's native binding keeps per-process state, and a crash in
    // one file must fail that file, not the runner.
    pool: 'forks',
    // A hung GPU call fails its test instead of stalling CI.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
  },
});
