/** What src/cli-launcher.ts and scripts/write-code-cache.mjs must agree on. */

/** Where the build puts the code cache of `bundle` for a V8 version. */
export function codeCacheFile(bundle: string, v8Version: string): string {
  return `${bundle}.v8-${v8Version}.cache`;
}

/** The bundle as a CommonJS function; scripts/write-code-cache.mjs wraps it the same way. */
export function wrapBundle(source: string): string {
  return `(function (exports, require, module, __filename, __dirname) {${source.replace(/^#!.*/, '')}\n})`;
}
