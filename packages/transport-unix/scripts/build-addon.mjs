// Compiles the addon (native/unix_dgram.c) with a C compiler, offline.
//
//   node scripts/build-addon.mjs              build/Release/unix_dgram.node for this machine
//   node scripts/build-addon.mjs --if-stale   the same, unless it is newer than its sources
//   node scripts/build-addon.mjs --prebuilds  prebuilds/<target>/unix_dgram.node for every
//                                             target below + prebuilds/manifest.json
//   node scripts/build-addon.mjs --prebuilds linux-arm64-glibc   one target only
//   node scripts/build-addon.mjs --check      exit 1 unless every prebuilt binary matches
//                                             the manifest and was built from the current sources
//
// Only a C compiler and Node's headers are needed (no python, make or node-gyp):
// a Node-API addon is one C file compiled into a shared object whose napi_* and
// uv_* symbols the node executable resolves when it loads it. The compiler
// flags and defines come from native/binding.gyp, so node-gyp (which reads that
// file) and this script build the same thing. Headers: `<prefix>/include/node`
// of the running node, or of $npm_config_nodedir. Node-API is ABI-stable, so
// one binary per platform serves every Node version (NAPI_VERSION 8: Node >= 12.22).
//
// Cross toolchains for --prebuilds on Debian/Ubuntu (x86_64 host):
//   apt-get install gcc musl-tools gcc-aarch64-linux-gnu libc6-dev-arm64-cross
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const packageDir = dirname(dirname(fileURLToPath(import.meta.url)));
const nativeDir = join(packageDir, 'native');

/** Prebuilt targets: directory name -> compiler and the ELF machine it must produce. */
export const TARGETS = {
  'linux-x64-glibc': { cc: ['x86_64-linux-gnu-gcc', 'gcc'], hostOnly: 'x64', machine: 62 },
  'linux-x64-musl': { cc: ['musl-gcc'], hostOnly: 'x64', machine: 62 },
  'linux-arm64-glibc': { cc: ['aarch64-linux-gnu-gcc'], machine: 183 },
};

/** The files a binary is built from; their sha256 goes into prebuilds/manifest.json. */
export function nativeSources() {
  return readdirSync(nativeDir)
    .filter((name) => name.endsWith('.c') || name.endsWith('.h') || name === 'binding.gyp')
    .sort()
    .map((name) => join(nativeDir, name));
}

export function sourcesDigest() {
  const hash = createHash('sha256');
  for (const file of nativeSources()) {
    hash.update(relative(packageDir, file));
    hash.update('\0');
    hash.update(readFileSync(file));
    hash.update('\0');
  }
  return hash.digest('hex');
}

function fail(message) {
  console.error(`@mi-datagram/transport-unix: ${message}`);
  process.exit(1);
}

function nodeIncludeDir() {
  const nodedir = process.env.npm_config_nodedir || dirname(dirname(process.execPath));
  const include = join(nodedir, 'include', 'node');
  if (!existsSync(join(include, 'node_api.h'))) {
    fail(
      `Node headers not found under ${include}; set npm_config_nodedir to a Node ` +
        'install prefix or headers directory (one holding include/node/node_api.h)',
    );
  }
  return include;
}

/** cflags/defines of native/binding.gyp (JSON-compatible gyp: no comments, double quotes). */
function gypFlags() {
  const gyp = JSON.parse(readFileSync(join(nativeDir, 'binding.gyp'), 'utf8'));
  const target = gyp.targets[0];
  return {
    name: target.target_name,
    sources: target.sources.map((source) => join(nativeDir, source)),
    flags: [...target.cflags, ...target.defines.map((define) => `-D${define}`)],
  };
}

function onPath(command) {
  return spawnSync(command, ['--version'], { stdio: 'ignore' }).status === 0;
}

function compile(cc, output, extra) {
  const { name, sources, flags } = gypFlags();
  mkdirSync(dirname(output), { recursive: true });
  const args = [
    ...flags,
    // What node-gyp adds on Linux for a shared library.
    '-fPIC',
    '-pthread',
    '-D_LARGEFILE_SOURCE',
    '-D_FILE_OFFSET_BITS=64',
    '-DBUILDING_NODE_EXTENSION',
    `-DNODE_GYP_MODULE_NAME=${name}`,
    `-ffile-prefix-map=${packageDir}=.`,
    '-I',
    nodeIncludeDir(),
    ...sources,
    '-shared',
    `-Wl,-soname=${name}.node`,
    ...extra,
    '-o',
    output,
  ];
  const result = spawnSync(cc, args, { stdio: 'inherit' });
  if (result.error) fail(`could not run ${cc}: ${result.error.message}`);
  if (result.status !== 0) fail(`${cc} failed (exit ${result.status})`);
}

function sha256(file) {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

function buildHost(ifStale) {
  const output = join(packageDir, 'build', 'Release', 'unix_dgram.node');
  if (ifStale && existsSync(output)) {
    const built = statSync(output).mtimeMs;
    if (nativeSources().every((file) => statSync(file).mtimeMs <= built)) return;
  }
  const cc = process.env.CC || 'cc';
  if (!onPath(cc)) fail(`no C compiler (${cc}) found; install gcc or set CC`);
  compile(cc, output, []);
  console.log(`built ${relative(process.cwd(), output)}`);
}

function buildPrebuilds(only) {
  const names = only.length > 0 ? only : Object.keys(TARGETS);
  const manifestPath = join(packageDir, 'prebuilds', 'manifest.json');
  const manifest = existsSync(manifestPath)
    ? JSON.parse(readFileSync(manifestPath, 'utf8'))
    : { targets: {} };
  const digest = sourcesDigest();
  for (const target of names) {
    const spec = TARGETS[target];
    if (!spec) fail(`unknown target ${target} (known: ${Object.keys(TARGETS).join(', ')})`);
    if (spec.hostOnly && process.arch !== spec.hostOnly) {
      fail(`${target} is built on an ${spec.hostOnly} machine only (this one is ${process.arch})`);
    }
    const cc = spec.cc.find(onPath);
    if (!cc) fail(`${target}: none of ${spec.cc.join(', ')} found (see the top of this script)`);
    const output = join(packageDir, 'prebuilds', target, 'unix_dgram.node');
    compile(cc, output, ['-s']);
    const machine = readFileSync(output).readUInt16LE(18);
    if (machine !== spec.machine) fail(`${target}: ${cc} produced ELF machine ${machine}`);
    manifest.targets[target] = {
      file: `${target}/unix_dgram.node`,
      sha256: sha256(output),
      sourcesSha256: digest,
      compiler: `${cc} ${spawnSync(cc, ['-dumpfullversion'], { encoding: 'utf8' }).stdout.trim()}`,
    };
    console.log(`built prebuilds/${target}/unix_dgram.node with ${cc}`);
  }
  const sorted = Object.fromEntries(
    Object.entries(manifest.targets).sort(([a], [b]) => a.localeCompare(b)),
  );
  const out = {
    comment:
      'Written by scripts/build-addon.mjs --prebuilds. sourcesSha256: of native/*.c, *.h and ' +
      'binding.gyp when the binary was built; test/prebuilds.test.ts fails when they differ.',
    targets: sorted,
  };
  writeFileSync(manifestPath, `${JSON.stringify(out, null, 2)}\n`);
}

function checkPrebuilds() {
  const manifestPath = join(packageDir, 'prebuilds', 'manifest.json');
  if (!existsSync(manifestPath)) fail('prebuilds/manifest.json is missing');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  const digest = sourcesDigest();
  const problems = [];
  for (const target of Object.keys(TARGETS)) {
    const entry = manifest.targets?.[target];
    const file = join(packageDir, 'prebuilds', target, 'unix_dgram.node');
    if (!entry) problems.push(`${target}: not in the manifest`);
    else if (!existsSync(file))
      problems.push(`${target}: ${relative(packageDir, file)} is missing`);
    else if (sha256(file) !== entry.sha256)
      problems.push(`${target}: the binary differs from the manifest`);
    else if (entry.sourcesSha256 !== digest) {
      problems.push(`${target}: built from other sources than native/ holds now`);
    }
  }
  if (problems.length > 0) {
    fail(
      `prebuilt binaries out of date:\n  ${problems.join('\n  ')}\n` +
        'rebuild them with `pnpm --filter @mi-datagram/transport-unix build:prebuilds` and commit prebuilds/',
    );
  }
  console.log(`prebuilds match native/ (sources sha256 ${digest})`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  if (args[0] === '--prebuilds') buildPrebuilds(args.slice(1));
  else if (args[0] === '--check') checkPrebuilds();
  else buildHost(args.includes('--if-stale'));
}
