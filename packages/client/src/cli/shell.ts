/**
 * `mi` without COMMAND on a terminal (or `-i`): a shell. Each line is `COMMAND [ARG]...`, quoted
 * as in a POSIX shell, sent to every target and printed exactly as a one-shot `mi` would; Tab
 * completes command names and parameter names (`name=`). `help`, `exit`/`quit`, Ctrl-D.
 */
import { createInterface } from 'node:readline';
import type { CliOptions } from './args.js';
import { Catalog } from './catalog.js';
import { appendHistory, HISTORY_SIZE, historyPath, loadHistory } from './history.js';
import { EXIT } from './output.js';
import { type AnyClient, argsProblem, type Io, makeClients, runCall } from './run.js';
import { splitWords, WordsError } from './words.js';

const SHELL_HELP = `Type COMMAND [ARG]... to send a command; quote ARGs as in a shell ("a b", 'a b').
A parameter is passed by name as name=VALUE (Tab completes the names) or name::VALUE.
  help         this text, and the target's commands
  exit, quit   leave the shell (Ctrl-D too); Ctrl-C cancels a command or clears the line
`;

export function promptFor(sockets: readonly string[]): string {
  return sockets.length === 1 ? `mi ${sockets[0]}> ` : `mi [${sockets.length} targets]> `;
}

function columns(names: readonly string[]): string {
  const width = Math.max(...names.map((name) => name.length)) + 2;
  const perLine = Math.max(1, Math.floor(78 / width));
  let out = '';
  names.forEach((name, index) => {
    const last = index % perLine === perLine - 1 || index === names.length - 1;
    out += last ? `${name}\n` : name.padEnd(width);
  });
  return out;
}

/** Runs the shell until `exit` or end of input; resolves with the last command's exit status. */
export async function runShell(options: CliOptions, io: Io): Promise<number> {
  const made = makeClients(options, io, 4);
  if (made === undefined || made[0] === undefined) return EXIT.FAILURE;
  const clients: readonly AnyClient[] = made;
  const catalog = new Catalog(made[0], options);
  const terminal = Boolean(process.stdin.isTTY && process.stdout.isTTY);
  const histfile = historyPath(process.env);
  let warnedHistory = false;
  const rl = createInterface({
    input: process.stdin,
    output: process.stdout,
    terminal,
    history: terminal ? loadHistory(histfile) : [],
    historySize: HISTORY_SIZE,
    removeHistoryDuplicates: true,
    completer: (line: string, done: (error: null, result: [string[], string]) => void) => {
      catalog.complete(line).then(
        (result) => done(null, result),
        () => done(null, [[], line]),
      );
    },
  });
  rl.setPrompt(promptFor(options.sockets));
  let running: AbortController | undefined;
  rl.on('SIGINT', () => {
    if (running !== undefined) {
      running.abort();
      return;
    }
    // Ctrl-C at the prompt: leave the line as typed, drop it, prompt again on the next line.
    rl.write(null, { ctrl: true, name: 'e' });
    io.out('^C\n');
    rl.write(null, { ctrl: true, name: 'u' });
  });
  const onSigterm = (): void => {
    running?.abort();
    rl.close();
  };
  process.once('SIGTERM', onSigterm);

  let status: number = EXIT.OK;
  if (terminal) rl.prompt();
  try {
    for await (const line of rl) {
      const text = line.trim();
      if (text !== '' && terminal && !appendHistory(histfile, text) && !warnedHistory) {
        warnedHistory = true;
        io.err(`mi: cannot write history to ${histfile}\n`);
      }
      const result = await runLine(text);
      if (result === 'exit') break;
      if (terminal) rl.prompt();
    }
  } finally {
    process.off('SIGTERM', onSigterm);
    rl.close();
    await Promise.all(clients.map((client) => client.close()));
  }
  return status;

  async function runLine(text: string): Promise<'exit' | undefined> {
    let words: string[];
    try {
      words = splitWords(text);
    } catch (error) {
      if (!(error instanceof WordsError)) throw error;
      io.err(`mi: ${error.message}\n`);
      status = EXIT.FAILURE;
      return undefined;
    }
    const [command, ...rest] = words;
    if (command === undefined) return undefined;
    if ((command === 'exit' || command === 'quit') && rest.length === 0) return 'exit';
    if (command === 'help' && rest.length === 0) {
      io.out(SHELL_HELP);
      const names = await catalog.commands().catch(() => undefined);
      if (names !== undefined && names.length > 0) {
        io.out(`\nCommands of ${options.sockets[0]}:\n${columns([...names].sort())}`);
      }
      status = EXIT.OK;
      return undefined;
    }
    const args = await catalog.namedArgs(command, rest);
    const problem = argsProblem(options.protocol, args);
    if (problem !== undefined) {
      io.err(`mi: ${problem}\n`);
      status = EXIT.FAILURE;
      return undefined;
    }
    running = new AbortController();
    try {
      status = await runCall(clients, options, { command, args }, running.signal, io);
    } finally {
      running = undefined;
    }
    return undefined;
  }
}
