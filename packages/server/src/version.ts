import { readFileSync } from 'node:fs';

let cached: string | undefined;

/**
 * This package's version, read once from its package.json (one level above
 * both `src/` and `dist/`).
 */
export function serverVersion(): string {
  if (cached === undefined) {
    let version = '0.0.0';
    try {
      const parsed: unknown = JSON.parse(
        readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
      );
      if (typeof parsed === 'object' && parsed !== null) {
        const v = (parsed as Record<string, unknown>).version;
        if (typeof v === 'string') version = v;
      }
    } catch {
      // keep the fallback
    }
    cached = version;
  }
  return cached;
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
