/**
 * The interactive `mi` through a real pseudo-terminal (tmux): prompt, Tab completion of command
 * and parameter names, output as one-shot, history across sessions, Ctrl-C, help, exit. Fake
 * OpenSIPS 3.6/2.4 servers answer with recorded replies (3.6 tells parameter names: `which CMD`).
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Catalog, recipesOf } from '../src/cli/catalog.js';
import { historyPath } from '../src/cli/history.js';
import { splitWords, WordsError } from '../src/cli/words.js';
import { MiClient } from '../src/index.js';
import { fakeOpenSips } from './helpers/fake-opensips.js';
import type { FakeUnixServer } from './helpers/fake-unix.js';
import { BUSY_MACHINE_TIMEOUT, CLI, runCli, tempDir } from './helpers/proc.js';
import { openTerminal, shellQuote, type Terminal } from './helpers/tmux.js';

let dir: ReturnType<typeof tempDir>;
let v24: FakeUnixServer;
let v36: FakeUnixServer;

beforeAll(async () => {
  dir = tempDir('mi-shell-');
  [v24, v36] = await Promise.all([fakeOpenSips(dir.path, '2.4'), fakeOpenSips(dir.path, '3.6')]);
});

afterAll(async () => {
  await Promise.all([v24.close(), v36.close()]);
  dir.remove();
});

function startShell(session: string, target: string, histfile: string): Promise<Terminal> {
  const home = join(dir.path, session);
  mkdirSync(home);
  return openTerminal(
    home,
    `${shellQuote(process.execPath)} ${shellQuote(CLI)} -s ${shellQuote(target)}`,
    { MI_HISTFILE: histfile, TMPDIR: dir.path, HOME: home },
  );
}

describe('mi shell in a terminal', () => {
  it('completes, runs, keeps history, handles Ctrl-C, help and exit', {
    timeout: 180_000,
  }, async () => {
    const histfile = join(dir.path, 'history');
    const prompt = `mi ${v36.path}> `;
    const term = await startShell('one', v36.path, histfile);
    try {
      await term.waitFor((s) => s.endsWith(prompt.trimEnd()));
      // Command names (from `which`): `vers` + Tab → `version`.
      await term.send('vers');
      await term.send('Tab', false);
      await term.waitFor((s) => s.endsWith(`${prompt}version`));
      await term.send('Enter', false);
      await term.waitFor((s) => s.includes('"Server": "OpenSIPS (3.6.8 (x86_64/linux))"'));

      // Parameter names (from `which log_level` → recipes): `lev` + Tab → `level=`.
      await term.send('log_level lev');
      await term.send('Tab', false);
      await term.waitFor((s) => s.endsWith(`${prompt}log_level level=`));
      await term.send('3');
      await term.send('Enter', false);
      await term.waitFor((s) => s.includes('"New global log level": 3'));

      // Two candidates: Tab twice lists them.
      await term.send('log_level ');
      await term.send('Tab', false);
      await term.send('Tab', false);
      await term.waitFor((s) => /level=\s+pid=/.test(s));
      // Ctrl-C drops the line and prompts again.
      await term.send('C-c', false);
      await term.waitFor((s) => s.endsWith(prompt.trimEnd()));

      // An error reply: code and message, as one-shot.
      await term.send('help nosuch');
      await term.send('Enter', false);
      await term.waitFor((s) => s.includes(`mi: ${v36.path}: error -32601: Method not found`));

      await term.send('help');
      await term.send('Enter', false);
      await term.waitFor((s) => s.includes('exit, quit') && s.includes('cache_fetch'));
      await term.send('exit');
      await term.send('Enter', false);
      // The last command (help) succeeded.
      await term.waitFor((s) => s.includes('[exit 0]'));
    } finally {
      await term.close();
    }
    const saved = readFileSync(histfile, 'utf8')
      .split('\n')
      .filter((l) => l !== '');
    expect(saved).toEqual(['version', 'log_level level=3', 'help nosuch', 'help', 'exit']);

    // A new session finds the history: Up shows the latest entries.
    const again = await startShell('two', v36.path, histfile);
    try {
      await again.waitFor((s) => s.endsWith(prompt.trimEnd()));
      await again.send('Up', false);
      await again.send('Up', false);
      await again.waitFor((s) => s.endsWith(`${prompt}help`));
      // Ctrl-D on an empty line ends the shell.
      await again.send('C-u', false);
      await again.send('C-d', false);
      await again.waitFor((s) => s.includes('[exit 0]'));
    } finally {
      await again.close();
    }
  });
});

describe('shell pieces', () => {
  it('history: $MI_HISTFILE, else ~/.mi_history', () => {
    expect(historyPath({ MI_HISTFILE: '/x/h' })).toBe('/x/h');
    expect(historyPath({ MI_HISTFILE: '' })).toBe(join(homedir(), '.mi_history'));
    expect(historyPath({})).toBe(join(homedir(), '.mi_history'));
  });

  it('splits words as a shell quotes them', () => {
    expect(splitWords(`a "b c" 'd "e"' f\\ g "h\\"i" j::"k l"`)).toEqual([
      'a',
      'b c',
      'd "e"',
      'f g',
      'h"i',
      'j::k l',
    ]);
    expect(() => splitWords('a "b')).toThrow(WordsError);
    expect(splitWords('a "b', true)).toEqual(['a', 'b']);
  });

  it('recipes: lists of names (an empty recipe may read back as null); a command list is not', () => {
    expect(recipesOf([[], ['level'], ['level', 'pid']])).toEqual([[], ['level'], ['level', 'pid']]);
    expect(recipesOf([null, ['level']])).toEqual([[], ['level']]);
    expect(recipesOf(['uptime', 'version'])).toBeNull();
    expect(recipesOf('OK')).toBeNull();
  });

  it('against OpenSIPS 2.4 (which CMD lists all commands): names complete, parameters do not', async () => {
    const client = new MiClient(v24.path, { timeout: BUSY_MACHINE_TIMEOUT, protocol: 'auto' });
    try {
      const catalog = new Catalog(client, {
        json: false,
        protocol: 'auto',
        timeout: BUSY_MACHINE_TIMEOUT,
      });
      expect(await catalog.complete('log_')).toEqual([['log_level'], 'log_']);
      expect(await catalog.complete('log_level ')).toEqual([[], '']);
      // name=value stays a value when the server does not tell the parameter names.
      expect(await catalog.namedArgs('log_level', ['level=3'])).toEqual(['level=3']);
    } finally {
      await client.close();
    }
  });

  it('against OpenSIPS 3.6: parameters of the recipes that fit what is given', async () => {
    const client = new MiClient(v36.path, { timeout: BUSY_MACHINE_TIMEOUT, protocol: 'auto' });
    try {
      const catalog = new Catalog(client, {
        json: false,
        protocol: 'auto',
        timeout: BUSY_MACHINE_TIMEOUT,
      });
      expect(await catalog.complete('log_level ')).toEqual([['level=', 'pid='], '']);
      expect(await catalog.complete('log_level level=2 ')).toEqual([['pid='], '']);
      expect(await catalog.complete('log_level p')).toEqual([['pid='], 'p']);
      expect(await catalog.namedArgs('log_level', ['level=3', 'x=1'])).toEqual(['level::3', 'x=1']);
    } finally {
      await client.close();
    }
  });

  it('no COMMAND, no terminal, no -i: a usage error', async () => {
    const out = await runCli(['-s', v36.path], { env: { TMPDIR: dir.path } });
    expect(out.status).toBe(2);
    expect(out.stderr).toBe('mi: missing COMMAND (mi --help for usage)\n');
  });

  it('without a terminal, -i reads commands from stdin (same output and exit status)', async () => {
    const out = await runCli(['-i', '-s', v36.path], {
      env: { TMPDIR: dir.path, MI_HISTFILE: join(dir.path, 'unused') },
      input: 'pwd\nhelp nosuch\n',
    });
    expect(JSON.parse(out.stdout.toString('utf8'))).toEqual({ WD: '/run/opensips' });
    expect(out.stderr).toBe(`mi: ${v36.path}: error -32601: Method not found\n`);
    expect(out.status).toBe(1);
  });
});
