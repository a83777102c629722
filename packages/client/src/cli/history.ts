/** The shell's history file: one line per entry, oldest first, private to the user. */
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Entries kept (in the file and in readline). */
export const HISTORY_SIZE = 1000;

/** `$MI_HISTFILE`, else `~/.mi_history`. */
export function historyPath(env: Readonly<Record<string, string | undefined>>): string {
  const fromEnv = env.MI_HISTFILE;
  return fromEnv !== undefined && fromEnv !== '' ? fromEnv : join(homedir(), '.mi_history');
}

/** The entries of the file, newest first (readline's order); none if it cannot be read. */
export function loadHistory(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  const lines = text.split('\n').filter((line) => line.trim() !== '');
  if (lines.length > 2 * HISTORY_SIZE) {
    // Keep the file from growing without bound (appends are cheap, this happens rarely).
    try {
      writeFileSync(path, `${lines.slice(-HISTORY_SIZE).join('\n')}\n`, { mode: 0o600 });
    } catch {
      // Read-only: it is only history.
    }
  }
  return lines.slice(-HISTORY_SIZE).reverse();
}

/** Appends one entry; `false` when the file cannot be written. */
export function appendHistory(path: string, line: string): boolean {
  try {
    appendFileSync(path, `${line.replaceAll('\n', ' ')}\n`, { mode: 0o600 });
    return true;
  } catch {
    return false;
  }
}
