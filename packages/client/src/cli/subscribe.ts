/**
 * `mi subscribe EVENT [--expire N]`: subscribes a socket of its own (UNIX
 * or UDP, matching the target) to EVENT and prints each event as it
 * arrives: the JSON notification (or the 2.4 text) as received, or with
 * `--json` one JSON object per line. Re-subscribes before the expiry;
 * Ctrl-C / SIGTERM unsubscribe and exit 0.
 */
import { MiClient } from '../client.js';
import type { MiProtocolName } from '../client-types.js';
import type { MiEvent } from '../subscribe.js';
import type { CliOptions } from './args.js';
import { EXIT } from './output.js';
import type { Io } from './run.js';

export const SUBSCRIBE_USAGE =
  'mi [-s SOCKET] [--json] [--legacy] subscribe EVENT [--expire SECONDS]';

/** The line printed for one event. */
export function eventLine(event: MiEvent, json: boolean): string {
  if (!json) {
    const text = new TextDecoder().decode(event.raw);
    return text.endsWith('\n') ? text : `${text}\n`;
  }
  return `${JSON.stringify({ event: event.event, format: event.format, params: event.params ?? null })}\n`;
}

function parse(args: readonly string[]): { event: string; expire: number } | string {
  let event: string | undefined;
  let expire = 3600;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--expire' || arg.startsWith('--expire=')) {
      const value = arg === '--expire' ? args[++i] : arg.slice(9);
      if (value === undefined || !/^[0-9]+$/.test(value) || Number(value) < 1) {
        return '--expire needs a number of seconds >= 1';
      }
      expire = Number(value);
    } else if (event === undefined && !arg.startsWith('-')) {
      event = arg;
    } else {
      return `unexpected ${JSON.stringify(arg)}`;
    }
  }
  return event === undefined ? 'missing EVENT' : { event, expire };
}

export async function runSubscribe(options: CliOptions, io: Io): Promise<number> {
  const parsed = parse(options.args);
  if (typeof parsed === 'string') {
    io.err(`mi: subscribe: ${parsed} (usage: ${SUBSCRIBE_USAGE})\n`);
    return EXIT.FAILURE;
  }
  if (options.sockets.length !== 1) {
    io.err('mi: subscribe: give one -s SOCKET\n');
    return EXIT.FAILURE;
  }
  // JSON-RPC unless --legacy (then the server sends the 2.4 text format).
  const protocol: MiProtocolName = options.protocol === 'legacy' ? 'legacy' : 'jsonrpc';
  const client = new MiClient<MiProtocolName>(options.sockets[0] as string, {
    protocol,
    timeout: options.timeout,
  });
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    for await (const event of client.subscribe(parsed.event, {
      expire: parsed.expire,
      signal: controller.signal,
    })) {
      io.out(eventLine(event, options.json));
    }
    return EXIT.OK;
  } catch (error) {
    io.err(
      `mi: subscribe ${parsed.event}: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    return error instanceof Error && 'status' in error ? EXIT.REPLY_ERROR : EXIT.FAILURE;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await client.close();
  }
}
