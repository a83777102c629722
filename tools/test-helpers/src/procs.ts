/** The process table and descriptors, read from /proc (Linux): to prove nothing is left behind. */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';

/** State letter and parent pid of a `/proc/PID/stat` line (the name may hold spaces and parens). */
function stateOf(stat: string): { state: string; ppid: number } {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0] ?? '', ppid: Number(fields[1]) };
}

/** Alive and not a zombie (a reaped-later orphan is as good as gone). */
export async function isAlive(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const { state } = stateOf(await readFile(`/proc/${pid}/stat`, 'utf8'));
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** Live (non-zombie) processes whose parent is `ppid`, in pid order. */
export async function childrenOf(ppid: number): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const { state, ppid: parent } = stateOf(await readFile(`/proc/${entry}/stat`, 'utf8'));
      if (parent === ppid && state !== 'Z' && state !== 'X') found.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return found.sort((a, b) => a - b);
}

/** Open descriptors of this process. */
export function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

/** Which sockets {@link ownSockets} counts: UNIX datagram sockets, UDP sockets (IPv4 and IPv6). */
export type SocketKind = 'unix-dgram' | 'udp';

const SOCKET_TABLES: Readonly<
  Record<SocketKind, ReadonlyArray<readonly [string, (f: string[]) => string | undefined]>>
> = {
  'unix-dgram': [['/proc/net/unix', (f) => (f[4] === '0002' ? f[6] : undefined)]],
  udp: [
    ['/proc/net/udp', (f) => f[9]],
    ['/proc/net/udp6', (f) => f[9]],
  ],
};

/**
 * Sockets of these kinds open in this process, counted exactly: the runtime
 * (node, libuv, vitest) opens descriptors of its own at any time, but never a
 * datagram socket, so leak checks count these instead of all descriptors.
 */
export function ownSockets(kinds: readonly SocketKind[]): number {
  const inodes = new Set<string>();
  for (const kind of kinds) {
    for (const [table, inodeOf] of SOCKET_TABLES[kind]) {
      let text: string;
      try {
        text = readFileSync(table, 'utf8');
      } catch {
        continue; // no IPv6
      }
      for (const line of text.split('\n').slice(1)) {
        const inode = inodeOf(line.trim().split(/\s+/));
        if (inode !== undefined) inodes.add(`socket:[${inode}]`);
      }
    }
  }
  let count = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (inodes.has(readlinkSync(`/proc/self/fd/${fd}`))) count += 1;
    } catch {
      // closed meanwhile
    }
  }
  return count;
}
