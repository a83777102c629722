/** One command to every target and its output: the one-shot `mi` and each line of the shell. */

import { MiClient } from '../client.js';
import type { MiProtocolName } from '../client-types.js';
import { type CliOptions, type CliProtocol, toJsonRpcParams, toMiArgument } from './args.js';
import {
  type AnyReply,
  EXIT,
  errorLine,
  exitStatusOf,
  failureJson,
  failureLine,
  jsonText,
  outcomeOf,
  replyText,
} from './output.js';
import { whichRecipesText } from './recipes.js';

type TargetResult =
  | { readonly target: string; readonly ok: true; readonly reply: AnyReply }
  | { readonly target: string; readonly ok: false; readonly error: unknown };

/** Where output goes. */
export interface Io {
  out(text: string | Uint8Array): void;
  err(text: string): void;
}

export type AnyClient = MiClient<MiProtocolName>;

export interface Call {
  readonly command: string;
  readonly args: readonly string[];
}

export type Settings = Pick<CliOptions, 'json' | 'protocol' | 'timeout'>;

/** The usage problem of `args` for `protocol`, if any (forced JSON-RPC needs one kind of ARG). */
export function argsProblem(protocol: CliProtocol, args: readonly string[]): string | undefined {
  if (protocol !== 'jsonrpc') return undefined;
  const params = toJsonRpcParams(args);
  return 'error' in params ? params.error : undefined;
}

async function callOne(
  client: AnyClient,
  settings: Settings,
  call: Call,
  signal: AbortSignal,
): Promise<TargetResult> {
  const target = client.target;
  try {
    if (settings.protocol === 'jsonrpc') {
      const params = toJsonRpcParams(call.args);
      if ('error' in params) throw new Error(params.error);
      const reply = await client.callJsonRpc(call.command, params.params, { signal });
      return { target, ok: true, reply };
    }
    const args = call.args.map(toMiArgument);
    const reply =
      settings.protocol === 'legacy'
        ? await client.callLegacy(call.command, args, { signal })
        : await client.call(call.command, args, { signal });
    return { target, ok: true, reply };
  } catch (error) {
    return { target, ok: false, error };
  }
}

/** Sends `call` to every client concurrently, prints the replies; resolves with the exit status. */
export async function runCall(
  clients: readonly AnyClient[],
  settings: Settings,
  call: Call,
  signal: AbortSignal,
  io: Io,
): Promise<number> {
  const results = await Promise.all(
    clients.map((client) => callOne(client, settings, call, signal)),
  );
  const several = results.length > 1;
  let status: number = EXIT.OK;
  const jsonOut: unknown[] = [];
  for (const entry of results) {
    if (!entry.ok) {
      status = Math.max(status, EXIT.FAILURE);
      io.err(`mi: ${failureLine(entry.target, entry.error, settings.timeout)}\n`);
      if (settings.json && several) {
        jsonOut.push({ target: entry.target, error: failureJson(entry.error) });
      }
      continue;
    }
    const reply = entry.reply;
    status = Math.max(status, exitStatusOf(reply));
    if (reply.protocol === 'legacy' && reply.reason === 'Parse_error' && reply.form === 'line') {
      io.err(
        `mi: ${entry.target}: this looks like an OpenSIPS 3.x server (try without --legacy)\n`,
      );
    }
    if (settings.json) {
      const outcome = outcomeOf(call.command, reply);
      if (!outcome.ok) io.err(`mi: ${errorLine(entry.target, outcome.error)}\n`);
      if (several) {
        jsonOut.push(
          outcome.ok
            ? { target: entry.target, result: outcome.result }
            : { target: entry.target, error: outcome.error },
        );
      } else if (outcome.ok) {
        io.out(jsonText(outcome.result));
      }
      continue;
    }
    const text = whichRecipesText(call.command, call.args, reply) ?? replyText(reply);
    if (text === undefined) {
      if (reply.protocol === 'jsonrpc' && !reply.ok) {
        io.err(`mi: ${errorLine(entry.target, reply.error)}\n`);
      }
      continue;
    }
    if (several) io.out(`==> ${entry.target} <==\n`);
    io.out(text);
  }
  if (settings.json && several) io.out(jsonText(jsonOut));
  return signal.aborted ? EXIT.INTERRUPTED : status;
}

/**
 * A client per target (`auto` protocol: forced protocols pick the call, not the client), or
 * `undefined` after printing why a target is not a socket_name.
 */
export function makeClients(
  options: Pick<CliOptions, 'sockets' | 'timeout'>,
  io: Io,
  maxIdleSockets: number,
): AnyClient[] | undefined {
  const clients: AnyClient[] = [];
  for (const target of options.sockets) {
    try {
      clients.push(
        new MiClient<MiProtocolName>(target, {
          protocol: 'auto',
          timeout: options.timeout,
          maxIdleSockets,
        }),
      );
    } catch (error) {
      io.err(`mi: ${failureLine(target, error, options.timeout)}\n`);
      for (const client of clients) void client.close();
      return undefined;
    }
  }
  return clients;
}
