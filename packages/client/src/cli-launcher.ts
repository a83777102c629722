#!/usr/bin/env node
/**
 * `mi` (dist/cli.cjs): runs the bundled CLI (dist/cli-main.cjs) from the V8 code cache the
 * build writes beside it (scripts/write-code-cache.mjs), so that a call neither compiles the
 * bundle nor, for the functions a call runs, its functions one by one (issue 16: `mi version`
 * close to `node -e 0`). V8 refuses a cache made by another Node version or with other V8
 * flags: the bundle is then compiled from its source as usual (NODE_DEBUG=mi-datagram says so).
 * The cache is produced by the build only and lives in the package, never in a writable place.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { debuglog } from 'node:util';
import { Script } from 'node:vm';

/** The bundle as a CommonJS function; scripts/write-code-cache.mjs wraps it the same way. */
export function wrapBundle(source: string): string {
  return `(function (exports, require, module, __filename, __dirname) {${source.replace(/^#!.*/, '')}\n})`;
}

type ModuleFunction = (
  exports: object,
  require: NodeJS.Require,
  module: { exports: object },
  filename: string,
  dirname: string,
) => void;

const file = join(__dirname, 'cli-main.cjs');
let cachedData: Buffer | undefined;
try {
  cachedData = readFileSync(`${file}.cache`);
} catch {
  // No cache (a build without one): compiled from source.
}
const script = new Script(wrapBundle(readFileSync(file, 'utf8')), { filename: file, cachedData });
if (cachedData !== undefined && script.cachedDataRejected === true) {
  debuglog('mi-datagram')('mi: code cache %s.cache rejected (another Node version?)', file);
}
const bundle = { exports: {} };
(script.runInThisContext() as ModuleFunction)(
  bundle.exports,
  // This file's own require: it resolves from dist/ as the bundle's would.
  require,
  bundle,
  file,
  __dirname,
);
