import { defineConfig } from 'vitest/config';

// Every test runs twice: through the addon's native path (the default where it
// loads) and through node:dgram alone (the fallback, forced by the environment).
export default defineConfig({
  test: {
    testTimeout: 20_000,
    projects: [
      { extends: true, test: { name: 'native', include: ['test/**/*.test.ts'] } },
      {
        extends: true,
        test: {
          name: 'dgram',
          include: ['test/**/*.test.ts'],
          env: { MI_DATAGRAM_UDP_NATIVE: '0' },
        },
      },
    ],
  },
});
