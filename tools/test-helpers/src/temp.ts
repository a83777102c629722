import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A private directory under the OS temp dir. */
export interface TempDir {
  readonly path: string;
  /** Removes it with everything in it (idempotent). */
  remove(): void;
}

/** A fresh private directory under the OS temp dir (`prefix` + random suffix). */
export function makeTempDir(prefix = 'mi-test-'): TempDir {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}
