#!/usr/bin/env node
/**
 * `mi` (dist/cli.cjs): runs the bundled CLI (dist/cli-main.cjs) from the V8 code cache the
 * build writes beside it (scripts/write-code-cache.mjs), so that a call neither compiles the
 * bundle nor, for the functions a call runs, its functions one by one (issue 16: `mi version`
 * close to `node -e 0`). The cache is only valid for the V8 version that made it (its name
 * says which) and V8 refuses it under other V8 flags: the bundle is then compiled from its
 * source as usual (NODE_DEBUG=mi-datagram says when a cache was refused).
 * The cache is written by the build only, never while `mi` runs.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { debuglog } from 'node:util';
import { Script } from 'node:vm';
import { codeCacheFile, wrapBundle } from './cli-launcher-paths.js';

type ModuleFunction = (
  exports: object,
  require: NodeJS.Require,
  module: { exports: object },
  filename: string,
  dirname: string,
) => void;

const file = join(__dirname, 'cli-main.cjs');
// Named after the V8 version that wrote it: another Node finds none and reads nothing.
const cacheFile = codeCacheFile(file, process.versions.v8);
let cachedData: Buffer | undefined;
try {
  cachedData = readFileSync(cacheFile);
} catch {
  // No cache (another Node version, or a build without one): compiled from source.
}
const script = new Script(wrapBundle(readFileSync(file, 'utf8')), { filename: file, cachedData });
if (cachedData !== undefined && script.cachedDataRejected === true) {
  debuglog('mi-datagram')('mi: code cache %s rejected (other V8 flags?)', cacheFile);
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
