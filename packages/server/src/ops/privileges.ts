/**
 * Dropping root after the sockets are bound (`run_as`): a server that only
 * needs root to bind a socket in a root-owned directory, or to give the file
 * to another owner, should not keep answering requests as root. After the
 * drop every reply is sent, and every command runs, with the given user's
 * rights only; the kernel then refuses what that user could not do.
 *
 * Consequences (see docs/security.md): re-creating a removed socket file, and
 * removing the files on shutdown, need write access to their directory as
 * that user.
 */
import { resolveOwner } from '@mi-datagram/transport-unix';
import { ConfigError } from '../common/index.js';

/** `USER` or `USER:GROUP` (names or numeric ids), as given to `run_as` / `--run-as`. */
export interface RunAs {
  readonly user: string;
  readonly group: string | null;
}

/** Parses and checks the syntax of a `run_as` value (names are resolved when dropping). */
export function parseRunAs(value: unknown, source: string): RunAs {
  const text = typeof value === 'number' ? String(value) : value;
  const fail = (why: string) =>
    new ConfigError('INVALID_PARAMETER', 'run_as', `run_as (${source}): ${why}`);
  if (typeof text !== 'string' || text.length === 0) throw fail('must be "user" or "user:group"');
  const parts = text.split(':');
  const valid = (s: string | undefined): s is string =>
    s !== undefined && /^[A-Za-z0-9_.][A-Za-z0-9_.-]*\$?$/.test(s) && s.length <= 64;
  if (parts.length > 2 || !valid(parts[0]) || (parts.length === 2 && !valid(parts[1]))) {
    throw fail(`${JSON.stringify(text)} is not "user" or "user:group" (names or numeric ids)`);
  }
  return { user: parts[0], group: parts[1] ?? null };
}

/** What a process offers for the drop (the real `process`; tests pass a fake). */
export interface PrivilegedProcess {
  getuid?: () => number;
  geteuid?: () => number;
  setuid?: (id: number) => void;
  setgid?: (id: number) => void;
  setgroups?: (groups: number[]) => void;
}

/**
 * Switches the whole process to `runAs` for good: supplementary groups, then
 * the group, then the user (real, effective and saved ids: `setuid` as root
 * sets all three). Checks afterwards that root cannot be regained. Throws
 * {@link ConfigError} when it cannot (not root, unknown user, …): a server
 * asked to drop privileges must not go on serving as root.
 */
export function dropPrivileges(
  runAs: RunAs,
  proc: PrivilegedProcess = process,
): { uid: number; gid: number } {
  const { setuid, setgid, setgroups, getuid, geteuid } = proc;
  if (!setuid || !setgid || !setgroups || !getuid || !geteuid) {
    throw new ConfigError('UNSUPPORTED', 'run_as', 'run_as: this platform cannot change user');
  }
  let owner: { uid: number; gid: number };
  try {
    owner = resolveOwner({
      user: runAs.user,
      ...(runAs.group === null ? {} : { group: runAs.group }),
    });
  } catch (error) {
    throw new ConfigError('INVALID_PARAMETER', 'run_as', `run_as: ${(error as Error).message}`);
  }
  if (owner.gid === -1) {
    throw new ConfigError(
      'INVALID_PARAMETER',
      'run_as',
      'run_as: give the group too ("user:group") for a numeric user id',
    );
  }
  if (geteuid.call(proc) !== 0) {
    if (getuid.call(proc) === owner.uid && geteuid.call(proc) === owner.uid) return owner;
    throw new ConfigError('INVALID_PARAMETER', 'run_as', 'run_as: only root can change user');
  }
  setgroups.call(proc, [owner.gid]);
  setgid.call(proc, owner.gid);
  setuid.call(proc, owner.uid);
  if (getuid.call(proc) !== owner.uid || geteuid.call(proc) !== owner.uid) {
    throw new ConfigError('UNSUPPORTED', 'run_as', 'run_as: the user did not change');
  }
  if (owner.uid !== 0) {
    let regained = false;
    try {
      setuid.call(proc, 0);
      regained = true;
    } catch {
      // expected: root is gone for good
    }
    if (regained) throw new ConfigError('UNSUPPORTED', 'run_as', 'run_as: root could be regained');
  }
  return owner;
}
