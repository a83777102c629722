import { defineConfig } from 'tsup';

export default defineConfig({
  // pool-worker.js: the program of each worker process when children_count > 1
  // (src/pool/pool-start.ts finds it beside its own chunk, in dist/).
  entry: { index: 'src/index.ts', cli: 'src/cli.ts', 'pool-worker': 'src/pool/pool-worker.ts' },
  format: ['esm'],
  target: 'node20',
  platform: 'node',
  dts: true,
  sourcemap: true,
  clean: true,
});
