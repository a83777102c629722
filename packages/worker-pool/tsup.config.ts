import { defineConfig } from 'tsup';

export default defineConfig({
  // worker-entry.js is the program each worker process runs (forked by the pool).
  entry: ['src/index.ts', 'src/worker-entry.ts'],
  format: ['esm'],
  target: 'node20',
  platform: 'node',
  dts: { entry: 'src/index.ts' },
  sourcemap: true,
  clean: true,
});
