/**
 * The server the end-to-end tests (server.test.ts, jsonrpc.test.ts) talk to:
 * a UNIX socket in a fresh temporary directory, UDP 127.0.0.1 and UDP ::1,
 * serving the test's commands and examples/commands.mjs.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createLogger,
  type MiCommandDefinition,
  type RequestGuard,
  type RunningServer,
  startServer,
} from '../../src/index.js';

export const EXAMPLES = fileURLToPath(new URL('../../examples/commands.mjs', import.meta.url));
/** `process.arch` as the version string names it. */
export const ARCH: Record<string, string> = { x64: 'x86_64', arm64: 'aarch64' };

/** The server's listeners, by their index in `running.addresses`. */
export const TRANSPORTS = [
  ['unix', 0],
  ['udp IPv4', 1],
  ['udp IPv6', 2],
] as const;

export interface E2eServer {
  /** The temporary directory; the UNIX socket is `mi.sock` in it. */
  readonly dir: string;
  readonly running: RunningServer;
}

/**
 * Makes a temporary directory (`prefix` + random) and starts the server in it,
 * logging into `logLines`. If the server does not start, the directory is
 * removed again.
 */
export async function startE2eServer(
  prefix: string,
  options: {
    readonly commands: readonly MiCommandDefinition[];
    readonly logLines: string[];
    readonly guard?: RequestGuard;
  },
): Promise<E2eServer> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  try {
    const running = await startServer({
      socket_name: [join(dir, 'mi.sock'), 'udp:127.0.0.1:0', 'udp:[::1]:0'],
      commands: options.commands,
      commandModules: [EXAMPLES],
      argv: ['mi-datagram-server', '--flag', 'value with space'],
      logger: createLogger({ write: (line) => options.logLines.push(line) }),
      ...(options.guard === undefined ? {} : { guard: options.guard }),
    });
    return { dir, running };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/** Closes the server (if it started) and removes its directory (if it was made). */
export async function stopE2eServer(server: Partial<E2eServer>): Promise<void> {
  await server.running?.close();
  if (server.dir !== undefined) await rm(server.dir, { recursive: true, force: true });
}
