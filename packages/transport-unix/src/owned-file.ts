import { lstatSync, rmdirSync, unlinkSync } from 'node:fs';
import { wrapError } from './errors.js';

/** What a transport removes on close; only ever what it created itself. */
export interface OwnedFile {
  readonly path: string;
  readonly dev: bigint;
  readonly ino: bigint;
  /** A private directory created for the socket, removed after it. */
  readonly dir?: string;
}

/**
 * Removes a socket file we created, only if it is still the same inode (a
 * file put there by someone else since is left alone), then its private
 * directory if we made one. Synchronous calls (three system calls on the socket's own
 * directory): a client that closes its reply socket does not start libuv's thread pool
 * and wait on it three times (issue 16).
 */
export async function removeOwnedFile(
  owned: OwnedFile,
  warn: (message: string) => void,
): Promise<void> {
  try {
    const st = lstatSync(owned.path, { bigint: true });
    if (st.isSocket() && st.dev === owned.dev && st.ino === owned.ino) {
      unlinkSync(owned.path);
    } else {
      warn(`${owned.path} was replaced by another file since we bound it: left in place`);
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      warn(wrapError(err, 'removing socket file', owned.path).message);
    }
  }
  if (owned.dir !== undefined) {
    try {
      rmdirSync(owned.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        warn(wrapError(err, 'removing socket directory', owned.dir).message);
      }
    }
  }
}
