import { closeSync, constants as fsConstants, fstatSync, openSync, readSync } from 'node:fs';

/** The kernel's random source: the same generator as getrandom(2) and node:crypto. */
export const URANDOM = '/dev/urandom';

function fromDevice(bytes: Uint8Array, device: string): boolean {
  let fd: number;
  try {
    fd = openSync(device, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW);
  } catch {
    return false;
  }
  try {
    // A file put in its place (a container without /dev) is no random source.
    if (!fstatSync(fd).isCharacterDevice()) return false;
    let filled = 0;
    while (filled < bytes.length) {
      const n = readSync(fd, bytes, filled, bytes.length - filled, null);
      if (n <= 0) return false;
      filled += n;
    }
    return true;
  } catch {
    return false;
  } finally {
    closeSync(fd);
  }
}

/**
 * `count` random bytes as hex, for names nobody else may guess. Read from the kernel's
 * device when it is there (a few system calls; node:crypto would load some forty modules
 * at the start of every `mi` call, issue 16), else from Web Crypto.
 */
export function randomHex(count: number, device: string = URANDOM): string {
  const bytes = new Uint8Array(count);
  if (!fromDevice(bytes, device)) globalThis.crypto.getRandomValues(bytes);
  let text = '';
  for (const byte of bytes) text += byte.toString(16).padStart(2, '0');
  return text;
}
