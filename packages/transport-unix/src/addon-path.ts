import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { debuglog } from 'node:util';
import { type Libc, libcOfExecutable } from './libc.js';

const debug = debuglog('mi-datagram');

/** The platforms a binary is shipped for, as `prebuilds/<tag>/unix_dgram.node`. */
export const PREBUILT_TAGS = ['linux-x64-glibc', 'linux-x64-musl', 'linux-arm64-glibc'] as const;

/** Where a source build lands (scripts/build-addon.mjs, relative to the package). */
export const SOURCE_BUILD = 'build/Release/unix_dgram.node';

export type { Libc } from './libc.js';

interface ReportHeader {
  readonly header?: { readonly glibcVersionRuntime?: string };
}

/**
 * The C library by Node's diagnostic report: it names the glibc version when the process
 * runs on glibc; a Linux node without one runs on musl (Alpine and the like). Slow (the
 * report gathers the whole process state): only when the executable does not tell.
 */
export function libcOfReport(): Libc {
  const report = process.report as { getReport(): object; excludeNetwork?: boolean } | undefined;
  if (report === undefined) return 'glibc';
  // Node >= 22.? can leave the network interfaces out of the report; it is all we read.
  const excludeNetwork = report.excludeNetwork;
  try {
    if (excludeNetwork !== undefined) report.excludeNetwork = true;
    const { header } = report.getReport() as ReportHeader;
    return header?.glibcVersionRuntime ? 'glibc' : 'musl';
  } finally {
    if (excludeNetwork !== undefined) report.excludeNetwork = excludeNetwork;
  }
}

/**
 * The C library this Node runs on (Linux only; undefined elsewhere): the dynamic loader
 * named by the node executable (libc.ts), else Node's diagnostic report.
 */
export function detectLibc(platform: NodeJS.Platform = process.platform): Libc | undefined {
  if (platform !== 'linux') return undefined;
  return libcOfExecutable() ?? libcOfReport();
}

/** The prebuilt tag for a platform, if one is shipped. */
export function prebuiltTag(
  platform: NodeJS.Platform,
  arch: string,
  libc: Libc | undefined,
): (typeof PREBUILT_TAGS)[number] | undefined {
  const tag = `${platform}-${arch}-${libc ?? 'none'}`;
  return PREBUILT_TAGS.find((known) => known === tag);
}

/**
 * Files to try, in order: a source build first (someone built it on purpose:
 * development, or a platform without a prebuilt binary), then the prebuilt
 * binary for this platform.
 */
export function addonCandidates(
  packageDir: string,
  platform: NodeJS.Platform = process.platform,
  arch: string = process.arch,
  libc: Libc | undefined = detectLibc(platform),
): string[] {
  const candidates = [join(packageDir, SOURCE_BUILD)];
  const tag = prebuiltTag(platform, arch, libc);
  if (tag !== undefined) candidates.push(join(packageDir, 'prebuilds', tag, 'unix_dgram.node'));
  return candidates;
}

/** The package's own directory: src/ (tests) and dist/ (published) both sit in it. */
export function packageDirectory(): string {
  return fileURLToPath(new URL('..', import.meta.url));
}

export interface AddonLoadFailure {
  readonly file: string;
  readonly reason: string;
}

/**
 * Loads the first candidate that loads. Returns the module and its file, or
 * the reason each candidate failed (a missing file says "not found").
 */
export function requireFirst(
  candidates: readonly string[],
): { module: unknown; file: string } | { failures: AddonLoadFailure[] } {
  // Loads node:module only here, not on import (the CommonJS bundle of `mi` puts its own
  // require in place of this expression: client/tsup.config.ts; issue 16).
  const load: (id: string) => unknown = process
    .getBuiltinModule('node:module')
    .createRequire(import.meta.url);
  const failures: AddonLoadFailure[] = [];
  for (const file of candidates) {
    try {
      const module: unknown = load(file);
      for (const failure of failures) {
        debug('transport-unix: skipped %s (%s)', failure.file, failure.reason);
      }
      debug('transport-unix: loaded the addon from %s', file);
      return { module, file };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException | null)?.code;
      const reason =
        code === 'MODULE_NOT_FOUND'
          ? 'not found'
          : err instanceof Error
            ? (err.message.split('\n')[0] ?? err.message)
            : String(err);
      failures.push({ file, reason });
    }
  }
  return { failures };
}
