#!/usr/bin/env node
import { type CliOptions, parseCliArgs, toJsonRpcParams, toMiArgument, USAGE } from './cli/args.js';
import {
  type AnyReply,
  EXIT,
  exitStatusOf,
  failureJson,
  failureLine,
  replyJson,
  replyText,
} from './cli/output.js';
import { whichRecipesText } from './cli/recipes.js';
import { MiClient } from './client.js';

type TargetResult =
  | { readonly target: string; readonly ok: true; readonly result: AnyReply }
  | { readonly target: string; readonly ok: false; readonly error: unknown };

const encoder = new TextEncoder();

function write(stream: NodeJS.WritableStream, text: string | Uint8Array): void {
  stream.write(typeof text === 'string' ? encoder.encode(text) : text);
}

async function callOne(
  target: string,
  options: CliOptions,
  params: ReturnType<typeof toJsonRpcParams>,
  signal: AbortSignal,
): Promise<TargetResult> {
  let client: MiClient<'legacy'> | undefined;
  try {
    client = new MiClient(target, { timeout: options.timeout, maxIdleSockets: 0 });
    if (options.jsonrpc) {
      if ('error' in params) throw new Error(params.error);
      const reply = await client.callJsonRpc(options.command, params.params, { signal });
      return { target, ok: true, result: { protocol: 'jsonrpc', reply } };
    }
    const reply = await client.callLegacy(options.command, options.args.map(toMiArgument), {
      signal,
    });
    return { target, ok: true, result: { protocol: 'legacy', reply } };
  } catch (error) {
    return { target, ok: false, error };
  } finally {
    await client?.close();
  }
}

async function main(argv: readonly string[]): Promise<number> {
  const parsed = parseCliArgs(argv, process.env);
  if (parsed.kind === 'help') {
    write(process.stdout, USAGE);
    return EXIT.OK;
  }
  if (parsed.kind === 'usage') {
    write(process.stderr, `mi: ${parsed.message} (mi --help for usage)\n`);
    return EXIT.FAILURE;
  }
  const options = parsed.options;
  const params = toJsonRpcParams(options.args);
  if (options.jsonrpc && 'error' in params) {
    write(process.stderr, `mi: ${params.error} (mi --help for usage)\n`);
    return EXIT.FAILURE;
  }

  // Ctrl-C / SIGTERM: abort the calls so every reply socket file is removed, then exit.
  const controller = new AbortController();
  const onSignal = (): void => controller.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const results = await Promise.all(
    options.sockets.map((target) => callOne(target, options, params, controller.signal)),
  );
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);

  const several = results.length > 1;
  let status: number = EXIT.OK;
  const jsonOut: unknown[] = [];
  for (const entry of results) {
    if (!entry.ok) {
      status = Math.max(status, EXIT.FAILURE);
      write(process.stderr, `mi: ${failureLine(entry.target, entry.error, options.timeout)}\n`);
      if (options.json && several)
        jsonOut.push({ target: entry.target, error: failureJson(entry.error) });
      continue;
    }
    status = Math.max(status, exitStatusOf(entry.result));
    if (options.json) {
      if (several) jsonOut.push({ target: entry.target, reply: replyJson(entry.result) });
      else write(process.stdout, `${JSON.stringify(replyJson(entry.result), null, 2)}\n`);
      continue;
    }
    if (several) write(process.stdout, `==> ${entry.target} <==\n`);
    const recipes = whichRecipesText(options.command, options.args, entry.result);
    write(process.stdout, recipes ?? replyText(entry.result));
  }
  if (options.json && several) write(process.stdout, `${JSON.stringify(jsonOut, null, 2)}\n`);
  return controller.signal.aborted ? EXIT.INTERRUPTED : status;
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
