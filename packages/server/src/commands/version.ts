import { readFileSync } from 'node:fs';

let cached: string | undefined;

/**
 * This package's version, read once from its package.json: one level above
 * `dist/` (the built chunks), two above `src/commands/` (the sources).
 */
export function serverVersion(): string {
  if (cached === undefined) {
    cached = '0.0.0';
    for (const path of ['../package.json', '../../package.json']) {
      const version = packageVersion(new URL(path, import.meta.url));
      if (version !== null) {
        cached = version;
        break;
      }
    }
  }
  return cached;
}

/** The version of `url` when it is this package's package.json, else null. */
function packageVersion(url: URL): string | null {
  try {
    const parsed: unknown = JSON.parse(readFileSync(url, 'utf8'));
    if (typeof parsed !== 'object' || parsed === null) return null;
    const { name, version } = parsed as Record<string, unknown>;
    return name === '@mi-datagram/server' && typeof version === 'string' ? version : null;
  } catch {
    return null;
  }
}

const ARCH_NAMES: Readonly<Record<string, string>> = {
  x64: 'x86_64',
  arm64: 'aarch64',
  ia32: 'i386',
  arm: 'arm',
  ppc64: 'ppc64',
  s390x: 's390x',
  riscv64: 'riscv64',
};

/** `ARCH/OS` the way the original prints it (`x86_64/linux`). */
export function platformTag(arch: string = process.arch, os: string = process.platform): string {
  return `${ARCH_NAMES[arch] ?? arch}/${os}`;
}
