#!/usr/bin/env node
/**
 * `mi-datagram-server`: the CLI of ARCHITECTURE.md ("Server CLI").
 * Exit codes: 0 clean shutdown (signal or `kill`), 1 runtime failure,
 * 2 invalid configuration (one line on stderr naming the parameter;
 * nothing bound, no file created or removed).
 */
import { existsSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serverVersion } from './commands/index.js';
import { isConfigError } from './common/index.js';
import {
  loadConfigFile,
  loadOpensipsCfg,
  parseCommandLine,
  resolveConfig,
  USAGE,
  type ValidatedParams,
} from './config/index.js';
import { createLogger, type Logger } from './ops/index.js';
import { startPooledServerFromConfig } from './pool/index.js';
import { type RunningServer, startServerFromConfig } from './start.js';

const PROGRAM = 'mi-datagram-server';
/** Longest wait for in-flight handlers and queued replies at shutdown. */
const SHUTDOWN_GRACE_MS = 5000;

function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').trim();
}

function fail(message: string): void {
  process.stderr.write(`${PROGRAM}: ${oneLine(message)}\n`);
}

function usageHint(addresses: readonly string[]): string[] {
  const lines: string[] = [];
  const first = addresses[0];
  if (first === undefined) return lines;
  const clientCli = fileURLToPath(new URL('../../client/dist/cli.js', import.meta.url));
  if (existsSync(clientCli)) {
    const shown = relative(process.cwd(), clientCli) || clientCli;
    lines.push(`try: node ${shown} -s ${first} which`);
  } else if (first.startsWith('udp:')) {
    const m = /^udp:\[?(.*?)\]?:(\d+)$/.exec(first);
    if (m !== null) {
      const family = m[1]?.includes(':') ? 'udp6' : 'udp4';
      lines.push(
        `try: node -e "const s=require('dgram').createSocket('${family}');s.on('message',m=>{process.stdout.write(m);s.close()});s.send(':which:\\n',${m[2]},'${m[1]}')"`,
      );
    }
  } else {
    lines.push(
      `try: python3 -c "import socket,os,tempfile;p=tempfile.mktemp();s=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM);s.bind(p);s.sendto(b':which:\\n','${first}');print(s.recv(65536).decode());os.unlink(p)"`,
    );
  }
  lines.push('stop: Ctrl-C (or send it the kill command)');
  return lines;
}

/** What the CLI needs of an in-process server or of a pool of worker processes. */
type ServerHandle = Pick<RunningServer, 'logger' | 'addresses' | 'close'>;

async function main(argv: readonly string[]): Promise<number> {
  let running: ServerHandle | null = null;
  let logger: Logger | null = null;
  let stopping: Promise<number> | null = null;
  let stopRequested = false;

  const shutdown = (reason: string): Promise<number> => {
    stopRequested = true;
    if (stopping !== null) return stopping;
    const server = running;
    if (server === null) return Promise.resolve(0); // finished by main once started
    stopping = (async () => {
      server.logger.notice('shutting down', { reason });
      await server.close({ timeoutMs: SHUTDOWN_GRACE_MS });
      server.logger.notice('stopped');
      return 0;
    })();
    return stopping;
  };
  const exitAfter = (reason: string) => {
    void shutdown(reason).then(
      (code) => process.exit(code),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', () => exitAfter('SIGTERM'));
  process.on('SIGINT', () => exitAfter('SIGINT'));
  // No input of any kind stops the server: a user handler's stray rejection
  // or exception (e.g. from a timer) is logged, not fatal.
  process.on('unhandledRejection', (reason) => {
    (logger ?? createLogger()).error('unhandled promise rejection (a command handler?)', {
      error: reason instanceof Error ? reason : String(reason),
    });
  });
  process.on('uncaughtException', (error) => {
    (logger ?? createLogger()).crit('uncaught exception (a command handler?)', { error });
  });

  let commandModules: string[];
  let config: ReturnType<typeof resolveConfig>;
  try {
    const cli = parseCommandLine(argv);
    if (cli.help) {
      process.stdout.write(USAGE);
      return 0;
    }
    if (cli.version) {
      process.stdout.write(`${PROGRAM} ${serverVersion()}\n`);
      return 0;
    }
    const layers: ValidatedParams[] = [];
    if (cli.opensipsCfg !== null) {
      const cfg = loadOpensipsCfg(cli.opensipsCfg);
      for (const w of cfg.warnings) process.stderr.write(`${PROGRAM}: warning: ${oneLine(w)}\n`);
      layers.push(cfg.params);
    }
    commandModules = [];
    if (cli.config !== null) {
      const file = loadConfigFile(cli.config);
      layers.push(file.params);
      commandModules.push(...file.commands);
    }
    layers.push(cli.params);
    commandModules.push(...cli.commands);
    config = resolveConfig(layers);
  } catch (error) {
    if (isConfigError(error)) {
      fail(error.message);
      return 2;
    }
    throw error;
  }

  logger = createLogger({ level: config.log_level });
  try {
    const serveOptions = { commandModules, logger, onKill: () => exitAfter('kill command') };
    // children_count 1 runs in this process; more: this process binds the
    // sockets and supervises children_count worker processes (pool-start.ts).
    running =
      config.children_count > 1
        ? await startPooledServerFromConfig(config, serveOptions)
        : await startServerFromConfig(config, serveOptions);
  } catch (error) {
    if (isConfigError(error)) {
      fail(error.message);
      return 2;
    }
    fail(error instanceof Error ? error.message : String(error));
    return 1;
  }
  process.stdout.write(`${PROGRAM} listening on ${running.addresses.join(' ')}\n`);
  if (process.stdout.isTTY) {
    for (const line of usageHint(running.addresses)) process.stdout.write(`${line}\n`);
  }
  if (stopRequested) exitAfter('signal during startup');
  return -1; // keep running
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (error: unknown) => {
    fail(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exit(1);
  },
);
