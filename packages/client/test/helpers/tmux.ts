/**
 * A real pseudo-terminal for tests: a private tmux server (its own socket in a temp dir, never the
 * user's) running one command in a detached session; keys go in with send-keys, the screen comes
 * back with capture-pane.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Terminal {
  /** Types `keys` (tmux key names such as `Enter`, `Tab`, `C-c`, `Up` when `literal` is false). */
  send(keys: string, literal?: boolean): Promise<void>;
  /** The whole pane (scrollback included), trailing blanks trimmed. */
  screen(): Promise<string>;
  /** Waits until `test(screen)` holds; fails with the screen after `timeoutMs`. */
  waitFor(test: (screen: string) => boolean, timeoutMs?: number): Promise<string>;
  close(): Promise<void>;
}

export async function openTerminal(
  dir: string,
  command: string,
  env: Readonly<Record<string, string>>,
): Promise<Terminal> {
  const socket = join(dir, 'tmux.sock');
  const tmux = async (...args: string[]): Promise<string> => {
    const { stdout } = await run('tmux', ['-S', socket, ...args], {
      env: { ...process.env, TERM: 'xterm-256color' },
    });
    return stdout;
  };
  const exports = Object.entries(env)
    .map(([k, v]) => `${k}=${shellQuote(v)}`)
    .join(' ');
  // The pane stays after the command ends, with its exit status, so a test can read both.
  await tmux(
    'new-session',
    '-d',
    '-x',
    '160',
    '-y',
    '50',
    `env ${exports} ${command}; echo "[exit $?]"; sleep 600`,
  );
  const screen = async (): Promise<string> =>
    (await tmux('capture-pane', '-p', '-J', '-S', '-')).replace(/\s+$/, '');
  return {
    async send(keys, literal = true) {
      await tmux('send-keys', '-t', '0', ...(literal ? ['-l', keys] : [keys]));
    },
    screen,
    async waitFor(test, timeoutMs = 30_000) {
      const until = Date.now() + timeoutMs;
      let last = '';
      while (Date.now() < until) {
        last = await screen();
        if (test(last)) return last;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error(`terminal never showed what was expected; screen:\n${last}`);
    },
    async close() {
      await tmux('kill-server').catch(() => undefined);
    },
  };
}

export function shellQuote(text: string): string {
  return `'${text.replaceAll("'", "'\\''")}'`;
}
