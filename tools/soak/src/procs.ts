/** Reading the server's processes from /proc: children, RSS, descriptors, UDP drops. */
import { readdirSync, readFileSync } from 'node:fs';

/** Direct children of `pid` (every thread's `children` file; falls back to scanning /proc). */
export function childPids(pid: number): number[] {
  const out = new Set<number>();
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const text = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
      for (const c of text.split(/\s+/)) if (c !== '') out.add(Number(c));
    }
    return [...out];
  } catch {
    // no /proc/PID/task/TID/children (CONFIG_PROC_CHILDREN off): scan
  }
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.add(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return [...out];
}

/** Resident set size in KiB, or null when the process is gone. */
export function rssKiB(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m === null ? null : Number(m[1]);
  } catch {
    return null;
  }
}

/** Process state letter (R, S, T, Z …), or null when gone. */
export function procState(pid: number): string | null {
  try {
    const m = /State:\s+(\S)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m?.[1] ?? null;
  } catch {
    return null;
  }
}

/** Open descriptors, or null when the process is gone. */
export function fdCount(pid: number): number | null {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return null;
  }
}

/** Kernel-wide UDP receive-buffer drops (`Udp: RcvbufErrors` of /proc/net/snmp). */
export function udpRcvbufErrors(): number {
  try {
    const lines = readFileSync('/proc/net/snmp', 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('Udp:'));
    const names = lines[0]?.split(/\s+/) ?? [];
    const values = lines[1]?.split(/\s+/) ?? [];
    const i = names.indexOf('RcvbufErrors');
    return i < 0 ? 0 : Number(values[i] ?? 0);
  } catch {
    return 0;
  }
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
