import { readFile } from 'node:fs/promises';
import { defineConfig, type Options } from 'tsup';

/** The native addon of @mi-datagram/transport-unix, found from the bundle (not from its dist/). */
const ADDON_REQUIRE = '"../build/Release/unix_dgram.node"';
const ADDON_PATH =
  'require("node:path").join(require("node:path").dirname(require.resolve("@mi-datagram/transport-unix/package.json")), "build/Release/unix_dgram.node")';

const addonPath: NonNullable<Options['esbuildPlugins']>[number] = {
  name: 'transport-unix-addon-path',
  setup(build) {
    build.onLoad({ filter: /transport-unix[\\/]dist[\\/]index\.js$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      if (!text.includes(ADDON_REQUIRE)) {
        throw new Error(`transport-unix no longer loads ${ADDON_REQUIRE}: update tsup.config.ts`);
      }
      return { contents: text.replace(ADDON_REQUIRE, ADDON_PATH), loader: 'js' };
    });
  },
};

export default defineConfig([
  {
    entry: ['src/index.ts'],
    format: ['esm'],
    target: 'node20',
    platform: 'node',
    dts: true,
    sourcemap: true,
    // dist/ is emptied by the build script (two configs write into it at once).
    clean: false,
  },
  {
    // `mi`: one CommonJS file with everything inlined (protocol, both transports), so that a call
    // starts no ES module loader and resolves no package; the shell, --version and the UDP code
    // are initialised only when used. issue 16: `mi version` close to `node -e 0`.
    entry: { cli: 'src/cli.ts' },
    format: ['cjs'],
    outExtension: () => ({ js: '.cjs' }),
    target: 'node20',
    platform: 'node',
    sourcemap: true,
    shims: true,
    minify: true,
    clean: false,
    noExternal: [/^@mi-datagram\//],
    esbuildPlugins: [addonPath],
  },
]);
