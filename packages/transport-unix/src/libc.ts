import { closeSync, openSync, readSync, realpathSync } from 'node:fs';
import { basename } from 'node:path';

export type Libc = 'glibc' | 'musl';

/** Reads up to `length` bytes of a file at `position` (fewer at its end). */
export type ReadAt = (position: number, length: number) => Uint8Array;

const PT_INTERP = 3;
/** Bounds that no real binary comes near: a corrupt header cannot make us read much. */
const MAX_PROGRAM_HEADERS = 512;
const MAX_INTERPRETER_BYTES = 4096;

/**
 * The program interpreter an ELF executable names in its PT_INTERP program header
 * (`/lib64/ld-linux-x86-64.so.2`, `/lib/ld-musl-x86_64.so.1`, ...): the dynamic loader
 * of the C library it was linked against. `undefined` for a file that is not ELF, has
 * no interpreter (statically linked) or is cut short.
 */
export function elfInterpreter(readAt: ReadAt): string | undefined {
  const ident = readAt(0, 64);
  if (ident.length < 52 || ident[0] !== 0x7f || ident[1] !== 0x45) return undefined;
  if (ident[2] !== 0x4c || ident[3] !== 0x46) return undefined;
  const is64 = ident[4] === 2;
  if (!is64 && ident[4] !== 1) return undefined;
  const little = ident[5] === 1;
  if (!little && ident[5] !== 2) return undefined;
  if (is64 && ident.length < 64) return undefined;
  const header = new DataView(ident.buffer, ident.byteOffset, ident.byteLength);
  const phoff = is64 ? header.getBigUint64(0x20, little) : BigInt(header.getUint32(0x1c, little));
  const phentsize = header.getUint16(is64 ? 0x36 : 0x2a, little);
  const phnum = header.getUint16(is64 ? 0x38 : 0x2c, little);
  const entryMin = is64 ? 0x38 : 0x20;
  if (phnum > MAX_PROGRAM_HEADERS || phentsize < entryMin) return undefined;
  if (phoff > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
  const table = readAt(Number(phoff), phnum * phentsize);
  if (table.length < phnum * phentsize) return undefined;
  const view = new DataView(table.buffer, table.byteOffset, table.byteLength);
  for (let index = 0; index < phnum; index += 1) {
    const at = index * phentsize;
    if (view.getUint32(at, little) !== PT_INTERP) continue;
    const offset = is64
      ? view.getBigUint64(at + 0x08, little)
      : BigInt(view.getUint32(at + 4, little));
    const size = is64
      ? view.getBigUint64(at + 0x20, little)
      : BigInt(view.getUint32(at + 16, little));
    if (size === 0n || size > BigInt(MAX_INTERPRETER_BYTES)) return undefined;
    if (offset > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
    const bytes = readAt(Number(offset), Number(size));
    if (bytes.length < Number(size)) return undefined;
    const end = bytes.indexOf(0);
    const text = new TextDecoder().decode(end === -1 ? bytes : bytes.subarray(0, end));
    return text.length > 0 ? text : undefined;
  }
  return undefined;
}

/**
 * The C library a dynamic loader belongs to, by its file name: musl's is
 * `ld-musl-<arch>.so.1`, glibc's `ld-linux*.so.N` (x86, Arm, RISC-V, ...) or `ld64.so.N`
 * (POWER, s390x). `undefined` for any other name.
 */
export function libcOfInterpreter(path: string): Libc | undefined {
  const name = basename(path);
  if (name.startsWith('ld-musl-')) return 'musl';
  if (name.startsWith('ld-linux') || /^ld64\.so\.\d+$/.test(name)) return 'glibc';
  return undefined;
}

/** Reads a file's ranges through one descriptor (closed by the caller). */
function readerOf(fd: number): ReadAt {
  return (position, length) => {
    const buffer = new Uint8Array(length);
    let filled = 0;
    while (filled < length) {
      const n = readSync(fd, buffer, filled, length - filled, position + filled);
      if (n === 0) break;
      filled += n;
    }
    return buffer.subarray(0, filled);
  };
}

/**
 * The C library of the running node, from the loader its executable names: a handful of
 * system calls, where Node's diagnostic report (the other way to tell) collects the whole
 * process state. A loader that is a link to another (gcompat's `ld-linux` shim on musl) is
 * followed to its file. `undefined` when the executable does not tell (statically linked,
 * unreadable, an unknown loader name).
 */
export function libcOfExecutable(file: string = process.execPath): Libc | undefined {
  let interpreter: string | undefined;
  try {
    const fd = openSync(file, 'r');
    try {
      interpreter = elfInterpreter(readerOf(fd));
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined;
  }
  if (interpreter === undefined) return undefined;
  try {
    // musl's loader is its libc.so; gcompat's ld-linux on musl leads to libgcompat.
    if (/musl|gcompat/.test(realpathSync.native(interpreter))) return 'musl';
  } catch {
    // Not there (a binary copied from elsewhere): its name is all there is.
  }
  return libcOfInterpreter(interpreter);
}
