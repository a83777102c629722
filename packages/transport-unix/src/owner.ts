import { UnixTransportError, wrapError } from './errors.js';
import { loadNative } from './native.js';
import type { UnixTransportOptions } from './options.js';

function uidOrGid(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 0 || value >= 2 ** 32 - 1) {
    throw new UnixTransportError(
      'INVALID_ARGUMENT',
      `${what} id must be an integer from 0 to 4294967294`,
    );
  }
  return value;
}

function lookup<T>(fn: () => T, what: string): T {
  try {
    return fn();
  } catch (err) {
    throw wrapError(err, `looking up the ${what}`);
  }
}

/** A name as the C library sees it ends at a NUL: `root\0evil` would be root. */
function checkName(name: string, what: string): void {
  if (name.includes('\0')) {
    throw new UnixTransportError('INVALID_ARGUMENT', `option ${what} contains a NUL byte`);
  }
}

/**
 * `unix_socket_user` / `unix_socket_group` as the original resolves them: a
 * numeric string is an id; a user name also brings its primary group unless
 * a group is given. -1 leaves the owner/group unchanged.
 */
export function resolveOwner(options: UnixTransportOptions): { uid: number; gid: number } {
  let uid = -1;
  let gid = -1;
  const { user, group } = options;
  if (user !== undefined) {
    if (typeof user === 'number') uid = uidOrGid(user, 'user');
    else if (typeof user === 'string' && /^\d+$/.test(user)) uid = uidOrGid(Number(user), 'user');
    else if (typeof user === 'string' && user.length > 0) {
      checkName(user, 'user');
      const found = lookup(() => loadNative().lookupUser(user), 'user');
      if (found === null) throw new UnixTransportError('UNKNOWN_USER', `unknown user "${user}"`);
      [uid, gid] = found;
    } else {
      throw new UnixTransportError(
        'INVALID_ARGUMENT',
        'option user must be a name or a numeric id',
      );
    }
  }
  if (group !== undefined) {
    if (typeof group === 'number') gid = uidOrGid(group, 'group');
    else if (typeof group === 'string' && /^\d+$/.test(group))
      gid = uidOrGid(Number(group), 'group');
    else if (typeof group === 'string' && group.length > 0) {
      checkName(group, 'group');
      const found = lookup(() => loadNative().lookupGroup(group), 'group');
      if (found === null) throw new UnixTransportError('UNKNOWN_GROUP', `unknown group "${group}"`);
      gid = found;
    } else {
      throw new UnixTransportError(
        'INVALID_ARGUMENT',
        'option group must be a name or a numeric id',
      );
    }
  }
  return { uid, gid };
}
