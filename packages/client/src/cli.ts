#!/usr/bin/env node
import { writeSync } from 'node:fs';
import { parseCliArgs, USAGE } from './cli/args.js';
import { EXIT } from './cli/output.js';
import { argsProblem, type Io, makeClients, runCall } from './cli/run.js';

const encoder = new TextEncoder();
/** Set once a write had to go through the stream: later output follows it there, in order. */
const viaStream = { 1: false, 2: false };

/**
 * Writes to stdout (1) or stderr (2) with writeSync: process.stdout/stderr are created on first
 * use and load the stream machinery, which a one-shot call does not otherwise need. A descriptor
 * that would block (a non-blocking pipe) gets the rest through the stream.
 */
function write(fd: 1 | 2, text: string | Uint8Array): void {
  const bytes = typeof text === 'string' ? encoder.encode(text) : text;
  let offset = 0;
  if (!viaStream[fd]) {
    try {
      while (offset < bytes.length) offset += writeSync(fd, bytes, offset);
      return;
    } catch (error) {
      const code = (error as { readonly code?: unknown }).code;
      if (code === 'EPIPE') return;
      if (code !== 'EAGAIN') throw error;
      viaStream[fd] = true;
    }
  }
  (fd === 1 ? process.stdout : process.stderr).write(bytes.subarray(offset));
}

const io: Io = {
  out: (text) => write(1, text),
  err: (text) => write(2, text),
};

async function main(argv: readonly string[]): Promise<number> {
  const parsed = parseCliArgs(argv, process.env);
  if (parsed.kind === 'help') {
    io.out(USAGE);
    return EXIT.OK;
  }
  if (parsed.kind === 'version') {
    // Loaded only when asked: a call does not read package.json.
    const { versionLine } = await import('./cli/version.js');
    io.out(versionLine());
    return EXIT.OK;
  }
  if (parsed.kind === 'usage') {
    io.err(`mi: ${parsed.message} (mi --help for usage)\n`);
    return EXIT.FAILURE;
  }
  const options = parsed.options;
  const command = options.command;
  if (command === undefined) {
    if (!options.interactive && !(process.stdin.isTTY && process.stdout.isTTY)) {
      io.err('mi: missing COMMAND (mi --help for usage)\n');
      return EXIT.FAILURE;
    }
    const { runShell } = await import('./cli/shell.js');
    return runShell(options, io);
  }
  // `mi subscribe EVENT`: events as they arrive, until Ctrl-C (cli/subscribe.ts).
  if (command === 'subscribe') {
    const { runSubscribe } = await import('./cli/subscribe.js');
    return runSubscribe(options, io);
  }
  const problem = argsProblem(options.protocol, options.args);
  if (problem !== undefined) {
    io.err(`mi: ${problem} (mi --help for usage)\n`);
    return EXIT.FAILURE;
  }

  // Ctrl-C / SIGTERM: abort the calls so every reply socket file is removed, then exit.
  const controller = new AbortController();
  const onSignal = (): void => controller.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const clients = makeClients(options, io, 0) ?? [];
  try {
    if (clients.length === 0) return EXIT.FAILURE;
    return await runCall(clients, options, { command, args: options.args }, controller.signal, io);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await Promise.all(clients.map((client) => client.close()));
  }
}

main(process.argv.slice(2)).then(
  (status) => {
    process.exitCode = status;
  },
  (error: unknown) => {
    const text = error instanceof Error ? error.message : String(error);
    process.stderr.write(`mi: internal error: ${text.replaceAll('\n', ' ')}\n`);
    process.exitCode = EXIT.FAILURE;
  },
);
