import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { detectLibc, libcOfReport } from '../src/addon-path.js';
import { elfInterpreter, libcOfExecutable, libcOfInterpreter, type ReadAt } from '../src/libc.js';
import { randomHex } from '../src/random.js';

const scratch = mkdtempSync(join(tmpdir(), 'mi-libc-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface ElfShape {
  readonly bits: 32 | 64;
  readonly little: boolean;
  /** Program header types in order; the PT_INTERP one (3) points at `interpreter`. */
  readonly types: readonly number[];
  readonly interpreter?: string;
}

/** A minimal ELF image: header, program headers, the interpreter string. */
function elf({ bits, little, types, interpreter = '' }: ElfShape): Uint8Array {
  const is64 = bits === 64;
  const headerSize = is64 ? 64 : 52;
  const entrySize = is64 ? 56 : 32;
  const stringAt = headerSize + types.length * entrySize;
  const text = new TextEncoder().encode(`${interpreter}\0`);
  const bytes = new Uint8Array(stringAt + text.length);
  const view = new DataView(bytes.buffer);
  bytes.set([0x7f, 0x45, 0x4c, 0x46, is64 ? 2 : 1, little ? 1 : 2, 1]);
  if (is64) {
    view.setBigUint64(0x20, BigInt(headerSize), little);
    view.setUint16(0x36, entrySize, little);
    view.setUint16(0x38, types.length, little);
  } else {
    view.setUint32(0x1c, headerSize, little);
    view.setUint16(0x2a, entrySize, little);
    view.setUint16(0x2c, types.length, little);
  }
  types.forEach((type, index) => {
    const at = headerSize + index * entrySize;
    view.setUint32(at, type, little);
    if (type !== 3) return;
    if (is64) {
      view.setBigUint64(at + 0x08, BigInt(stringAt), little);
      view.setBigUint64(at + 0x20, BigInt(text.length), little);
    } else {
      view.setUint32(at + 4, stringAt, little);
      view.setUint32(at + 16, text.length, little);
    }
  });
  bytes.set(text, stringAt);
  return bytes;
}

const reader =
  (bytes: Uint8Array): ReadAt =>
  (position, length) =>
    bytes.subarray(position, position + length);

describe('elfInterpreter', () => {
  it('reads PT_INTERP of 64- and 32-bit, little- and big-endian executables', () => {
    const musl = '/lib/ld-musl-x86_64.so.1';
    expect(
      elfInterpreter(reader(elf({ bits: 64, little: true, types: [6, 3, 1], interpreter: musl }))),
    ).toBe(musl);
    const glibc = '/lib/ld-linux-armhf.so.3';
    expect(
      elfInterpreter(reader(elf({ bits: 32, little: true, types: [3], interpreter: glibc }))),
    ).toBe(glibc);
    const power = '/lib64/ld64.so.2';
    expect(
      elfInterpreter(reader(elf({ bits: 64, little: false, types: [1, 3], interpreter: power }))),
    ).toBe(power);
  });

  it('has no answer for a static executable, another file or a cut-short one', () => {
    expect(elfInterpreter(reader(elf({ bits: 64, little: true, types: [1, 1] })))).toBeUndefined();
    expect(
      elfInterpreter(reader(new TextEncoder().encode('#!/bin/sh\necho not an ELF file\n'))),
    ).toBeUndefined();
    const whole = elf({
      bits: 64,
      little: true,
      types: [3],
      interpreter: '/lib/ld-musl-aarch64.so.1',
    });
    for (const cut of [10, 63, 100, whole.length - 5]) {
      expect(elfInterpreter(reader(whole.subarray(0, cut)))).toBeUndefined();
    }
  });
});

describe('libcOfInterpreter', () => {
  it('knows the loaders of musl and glibc by name', () => {
    expect(libcOfInterpreter('/lib/ld-musl-x86_64.so.1')).toBe('musl');
    expect(libcOfInterpreter('/lib/ld-musl-aarch64.so.1')).toBe('musl');
    expect(libcOfInterpreter('/lib64/ld-linux-x86-64.so.2')).toBe('glibc');
    expect(libcOfInterpreter('/lib/ld-linux-aarch64.so.1')).toBe('glibc');
    expect(libcOfInterpreter('/nix/store/abc-glibc-2.40/lib/ld-linux-x86-64.so.2')).toBe('glibc');
    expect(libcOfInterpreter('/lib64/ld64.so.2')).toBe('glibc');
    expect(libcOfInterpreter('/libexec/ld-elf.so.1')).toBeUndefined();
    expect(libcOfInterpreter('/lib/ld-uClibc.so.0')).toBeUndefined();
  });
});

describe('libcOfExecutable', () => {
  it("tells the running node's C library as the diagnostic report does", () => {
    if (process.platform !== 'linux') return;
    const fromReport = libcOfReport();
    expect(libcOfExecutable()).toBe(fromReport);
    expect(detectLibc('linux')).toBe(fromReport);
  });

  it('has no answer for a file that is not an executable or not there', () => {
    const script = join(scratch, 'script.sh');
    writeFileSync(script, '#!/bin/sh\n');
    expect(libcOfExecutable(script)).toBeUndefined();
    expect(libcOfExecutable(join(scratch, 'missing'))).toBeUndefined();
  });

  it('reads a loader name from a file of its own', () => {
    const file = join(scratch, 'fake-node');
    writeFileSync(
      file,
      elf({ bits: 64, little: true, types: [3], interpreter: '/nonexistent/ld-musl-x86_64.so.1' }),
    );
    expect(libcOfExecutable(file)).toBe('musl');
    writeFileSync(
      file,
      elf({ bits: 64, little: true, types: [3], interpreter: '/nonexistent/ld-linux-x86-64.so.2' }),
    );
    expect(libcOfExecutable(file)).toBe('glibc');
  });
});

describe('randomHex', () => {
  it('gives 2 hex digits per byte, different every time', () => {
    const names = new Set(Array.from({ length: 50 }, () => randomHex(12)));
    expect(names.size).toBe(50);
    for (const name of names) expect(name).toMatch(/^[0-9a-f]{24}$/);
  });

  it('does not take a regular file for the random device (falls back to Web Crypto)', () => {
    const zeros = join(scratch, 'zeros');
    writeFileSync(zeros, new Uint8Array(4096));
    const values = Array.from({ length: 4 }, () => randomHex(12, zeros));
    expect(values.some((value) => value !== '0'.repeat(24))).toBe(true);
    expect(new Set(values).size).toBe(4);
    expect(randomHex(12, join(scratch, 'missing'))).toMatch(/^[0-9a-f]{24}$/);
  });
});
