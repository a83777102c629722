#!/usr/bin/env node
/**
 * Writes dist/cli-main.cjs.v8-<V8 version>.cache, the V8 code cache that dist/cli.cjs
 * (src/cli-launcher.ts) runs the bundle from. The cache holds the functions compiled while a call ran: a child
 * process compiles the bundle as the launcher does, runs `mi -s SOCK version` against a
 * responder on a UNIX socket in a temporary directory (argument parsing, the client, the
 * UNIX transport, the reply's parsing and printing), and writes the cache on exit.
 * Run by `pnpm build` after tsup.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';

const self = fileURLToPath(import.meta.url);
const dist = resolve(dirname(self), '..', 'dist');
const file = join(dist, 'cli-main.cjs');

// Must match codeCacheFile() in src/cli-launcher-paths.ts.
const cacheFile = `${file}.v8-${process.versions.v8}.cache`;

// Must match wrapBundle() in src/cli-launcher-paths.ts byte for byte (V8 checks the source length;
// test/cli-cache.test.ts checks that the launcher accepts the cache).
const wrapBundle = (source) =>
  `(function (exports, require, module, __filename, __dirname) {${source.replace(/^#!.*/, '')}\n})`;

if (process.argv[2] === '--child') {
  const script = new Script(wrapBundle(readFileSync(file, 'utf8')), { filename: file });
  process.argv = [process.argv[0], file, ...process.argv.slice(3)];
  process.on('exit', () => writeFileSync(cacheFile, script.createCachedData()));
  const bundle = { exports: {} };
  script.runInThisContext()(bundle.exports, createRequire(file), bundle, file, dist);
} else {
  const { bindUnixSocket } = await import('@mi-datagram/transport-unix');
  const scratch = mkdtempSync(join(tmpdir(), 'mi-code-cache-'));
  const sock = join(scratch, 'mi.sock');
  const reply = new TextEncoder().encode('200 OK\nServer:: mi-datagram (code cache)\n\n');
  const server = await bindUnixSocket(sock, {
    onMessage: (_data, peer) => {
      if (peer !== null) server.send(reply, peer);
    },
  });
  try {
    const child = spawn(process.execPath, [self, '--child', '-s', sock, 'version'], {
      env: { ...process.env, TMPDIR: scratch },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (text) => (output += text));
    child.stderr.setEncoding('utf8').on('data', (text) => (output += text));
    const status = await new Promise((done) => child.once('close', done));
    if (status !== 0 || !output.startsWith('200 OK\n')) {
      throw new Error(`write-code-cache: the call failed (${status}): ${output}`);
    }
    console.log(`write-code-cache: ${cacheFile}`);
  } finally {
    await server.close();
    rmSync(scratch, { recursive: true, force: true });
  }
}
