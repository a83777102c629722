import { defineConfig } from 'tsup';

export default defineConfig({
  // pool-worker.js: the program of each worker process when children_count > 1.
  entry: ['src/index.ts', 'src/cli.ts', 'src/pool-worker.ts'],
  format: ['esm'],
  target: 'node20',
  platform: 'node',
  dts: true,
  sourcemap: true,
  clean: true,
});
