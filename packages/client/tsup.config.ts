import { readFile } from 'node:fs/promises';
import { defineConfig, type Options } from 'tsup';

/**
 * The native addon of @mi-datagram/transport-unix is found from that package's directory
 * (`packageDirectory()` in its addon-path.ts); inside the bundle `import.meta.url` is the
 * bundle's, so the directory is resolved from the installed package instead.
 */
const PACKAGE_DIR = 'fileURLToPath(new URL("..", import.meta.url))';
// The node_modules folders above the bundle, as require() would search them, checked with
// one stat each; require.resolve (the fallback) goes through the package's `exports` map and
// loads Node's ES module resolver to do it, a cost every `mi` call paid (issue 16).
const PACKAGE_DIR_RESOLVED = `((p, f) => {
  for (let d = __dirname; ; d = p.dirname(d)) {
    const c = p.join(d, "node_modules", "@mi-datagram", "transport-unix");
    if (p.basename(d) !== "node_modules" && f.existsSync(p.join(c, "package.json"))) return c;
    if (p.dirname(d) === d) break;
  }
  return p.dirname(require.resolve("@mi-datagram/transport-unix/package.json"));
})(require("node:path"), require("node:fs"))`;

/** How transport-unix makes the require that loads its addon; the bundle has its own. */
const ADDON_REQUIRE = 'process.getBuiltinModule("node:module").createRequire(import.meta.url)';

const addonPath: NonNullable<Options['esbuildPlugins']>[number] = {
  name: 'transport-unix-addon-path',
  setup(build) {
    build.onLoad({ filter: /transport-unix[\\/]dist[\\/]index\.js$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      if (!text.includes(PACKAGE_DIR)) {
        throw new Error(
          `transport-unix no longer finds its directory with ${PACKAGE_DIR}: update tsup.config.ts`,
        );
      }
      if (!text.includes(ADDON_REQUIRE)) {
        throw new Error(
          `transport-unix no longer loads its addon with ${ADDON_REQUIRE}: update tsup.config.ts`,
        );
      }
      const contents = text
        .replace(PACKAGE_DIR, PACKAGE_DIR_RESOLVED)
        .replace(ADDON_REQUIRE, 'require');
      return { contents, loader: 'js' };
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
    entry: { 'cli-main': 'src/cli.ts' },
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
  {
    // `mi` itself: runs cli-main.cjs from its V8 code cache (src/cli-launcher.ts).
    entry: { cli: 'src/cli-launcher.ts' },
    format: ['cjs'],
    outExtension: () => ({ js: '.cjs' }),
    target: 'node20',
    platform: 'node',
    minify: true,
    clean: false,
  },
]);
