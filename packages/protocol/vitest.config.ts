import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Property-test seeds: fixed in CI, rotating elsewhere, FC_SEED to replay (docs/testing.md).
    setupFiles: ['test/setup-fast-check.ts'],
    testTimeout: 20_000,
  },
});
