import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { tempDir } from './helpers.js';

const packageDir = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');

it('the README example runs and prints the reply', () => {
  const readme = readFileSync(join(packageDir, 'README.md'), 'utf8');
  const example = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(example).toBeDefined();
  const file = join(tempDir(), 'example.mts');
  writeFileSync(
    file,
    (example ?? '').replace(
      "'@mi-datagram/transport-unix'",
      JSON.stringify(join(packageDir, 'src/index.ts')),
    ),
  );
  const r = spawnSync(process.execPath, ['--import', 'tsx', file], {
    cwd: packageDir,
    encoding: 'utf8',
  });
  expect(r.stderr).toBe('');
  expect(r.stdout).toBe('true 200 OK\n\n');
  expect(r.status).toBe(0);
});
