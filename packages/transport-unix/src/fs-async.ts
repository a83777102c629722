/**
 * The file calls of the socket files (bind-file.ts, reply-socket.ts, owned-file.ts), as promises over node:fs's callback API.
 * node:fs/promises would do the same, but loading it pulls in a dozen more modules
 * (streams, readline) that a one-shot `mi` call pays for at start-up (issue 16).
 */
import {
  close,
  fchmod,
  fstat,
  link,
  lstat,
  mkdtemp,
  open,
  rename,
  rm,
  rmdir,
  unlink,
} from 'node:fs';
import { promisify } from 'node:util';

export const mkdtempAsync = promisify(mkdtemp);
export const openAsync = promisify(open);
export const fstatAsync = promisify(fstat);
export const fchmodAsync = promisify(fchmod);
export const closeAsync = promisify(close);
export const lstatAsync = promisify(lstat);
export const unlinkAsync = promisify(unlink);
export const rmdirAsync = promisify(rmdir);
export const rmAsync = promisify(rm);
export const linkAsync = promisify(link);
export const renameAsync = promisify(rename);
