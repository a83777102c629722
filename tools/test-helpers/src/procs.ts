/** The process table and descriptors, read from /proc (Linux): to prove nothing is left behind. */
import { readdirSync } from 'node:fs';
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
