import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Property-test seeds: fixed in CI, rotating elsewhere, FC_SEED to replay (docs/testing.md).
    setupFiles: ['test/setup-fast-check.ts'],
    // 1000-run properties take about 8 s on a loaded machine; 60 s leaves room for one 5x slower.
    testTimeout: 60_000,
    // A pure codec with no module state to leak between files: fast-check and the package are
    // imported once per worker instead of once per file (the imports were most of the run).
    isolate: false,
  },
});
