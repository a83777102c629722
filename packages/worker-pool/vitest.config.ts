import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    // Every test forks real worker processes and measures restarts and
    // replies: run the files one after the other so they do not compete for
    // the CPUs (the timing bounds stay generous either way).
    fileParallelism: false,
  },
});
