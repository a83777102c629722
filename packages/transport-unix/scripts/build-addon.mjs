// Builds build/Release/unix_dgram.node from native/*.c with node-gyp, offline.
//
// The headers come from the running Node itself (--nodedir = its install
// prefix, which holds include/node/), so nothing is downloaded. pnpm's bundled
// node-gyp does not read .npmrc, hence the explicit flag. Run by the package's
// `install` script (npm, pnpm and yarn all run it on install, for users of the
// published package too) and by `pnpm run build:native`. With --if-stale (the
// package's `build` script) it does nothing when the addon is newer than its
// sources: a repeat `pnpm install` skips workspace install scripts.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const packageDir = dirname(dirname(fileURLToPath(import.meta.url)));
const nodedir = process.env.npm_config_nodedir || dirname(dirname(process.execPath));

if (process.argv.includes('--if-stale')) {
  const addon = join(packageDir, 'build', 'Release', 'unix_dgram.node');
  const sources = [
    join(packageDir, 'binding.gyp'),
    ...readdirSync(join(packageDir, 'native')).map((f) => join(packageDir, 'native', f)),
  ];
  if (existsSync(addon)) {
    const built = statSync(addon).mtimeMs;
    if (sources.every((f) => statSync(f).mtimeMs <= built)) process.exit(0);
  }
}

if (!existsSync(join(nodedir, 'include', 'node', 'node_api.h'))) {
  console.error(
    `@mi-datagram/transport-unix: Node headers not found under ${nodedir}/include/node; ` +
      'set npm_config_nodedir to a Node source or headers directory',
  );
  process.exit(1);
}

// The package manager says which node-gyp to use (npm and pnpm both set this);
// otherwise fall back to one that is resolvable from here.
function findNodeGyp() {
  const fromEnv = process.env.npm_config_node_gyp;
  if (fromEnv && existsSync(fromEnv)) return fromEnv;
  const require = createRequire(import.meta.url);
  try {
    return require.resolve('node-gyp/bin/node-gyp.js');
  } catch {}
  // npm's own copy, next to this node.
  const npmCopy = join(
    nodedir,
    'lib',
    'node_modules',
    'npm',
    'node_modules',
    'node-gyp',
    'bin',
    'node-gyp.js',
  );
  if (existsSync(npmCopy)) return npmCopy;
  return undefined;
}

const nodeGyp = findNodeGyp();
const args = ['rebuild', `--nodedir=${nodedir}`];
// Otherwise `node-gyp` from PATH: pnpm puts its bundled copy there for
// lifecycle scripts.
const result = nodeGyp?.endsWith('.js')
  ? spawnSync(process.execPath, [nodeGyp, ...args], { cwd: packageDir, stdio: 'inherit' })
  : spawnSync(nodeGyp ?? 'node-gyp', args, { cwd: packageDir, stdio: 'inherit' });
if (result.error) {
  console.error(`@mi-datagram/transport-unix: could not run node-gyp: ${result.error.message}`);
  process.exit(1);
}
process.exit(result.status ?? 1);
