import type { MiArgument } from '../client-types.js';
import { DEFAULT_TIMEOUT } from '../constants.js';

/** Target used when neither `-s` nor `MI_SOCKET` is given. */
export const DEFAULT_SOCKET = '/tmp/mi-datagram.sock';

export const USAGE = `Usage: mi [-s SOCKET]... [--timeout MS] [--json] [--jsonrpc|--legacy] COMMAND [ARG]...
       mi [-s SOCKET]... [OPTIONS] [-i]      (interactive shell)
       mi [-s SOCKET] [--json] [--legacy] subscribe EVENT [--expire SECONDS]

Sends one MI command to MI datagram servers (mi-datagram, OpenSIPS 2.x and 3.x) and prints the
reply. Each target's protocol is found out: legacy text first, JSON-RPC 2.0 once the target
answers as OpenSIPS 3 does.

Options:
  -s, --socket SOCKET  socket_name of the server: a UNIX socket path or udp:HOST:PORT
                       (udp:[::1]:8080 for IPv6). Repeatable: the command goes to every
                       SOCKET concurrently and each reply is labelled with its target.
                       Default: $MI_SOCKET, else ${DEFAULT_SOCKET}
  -t, --timeout MS     how long to wait for each reply (default ${DEFAULT_TIMEOUT})
      --json           print the result as plain JSON (legacy trees mapped as JSON-RPC results)
      --jsonrpc        always speak JSON-RPC 2.0 (OpenSIPS 3.x): name::value ARGs become named
                       params, other ARGs positional params (all strings)
      --legacy         always speak the legacy text protocol (OpenSIPS 2.x)
  -i, --interactive    a shell: one COMMAND [ARG]... per line, Tab completes command and
                       parameter names, history in ~/.mi_history ($MI_HISTFILE); the default
                       without COMMAND on a terminal
  -V, --version        print mi's version
  -h, --help           show this help
      --               end of options (a COMMAND that starts with -)

An ARG containing :: is sent as name::value, any other ARG as a value; quoting and
escaping (spaces, quotes, newlines) are done for you.

Output: a legacy reply as received; a JSON-RPC result as JSON; with --json, JSON only.
Error replies of JSON-RPC (and every error with --json) go to stderr as
"TARGET: error CODE: MESSAGE".

Exit status: 0 for a 2xx reply (JSON-RPC: a result), 1 for any other reply, 2 for usage
errors, timeouts and transport errors (one line on stderr). With several sockets, the worst.

Examples:
  mi which
  mi -s udp:127.0.0.1:8080 log_level 3
  mi -s /run/a.sock -s /run/b.sock --json uptime
  mi --json ps | jq '.Processes[].PID'
  mi cache_store system::local key::k1 "value::hello world"
  mi --json subscribe E_MI_BUSY          (one JSON line per event until Ctrl-C)
`;

/** `auto`: legacy text first, JSON-RPC once the target answers as OpenSIPS 3 does. */
export type CliProtocol = 'auto' | 'legacy' | 'jsonrpc';

export interface CliOptions {
  readonly sockets: readonly string[];
  readonly timeout: number;
  readonly json: boolean;
  readonly protocol: CliProtocol;
  /** `-i`: the interactive shell (also the default without COMMAND on a terminal). */
  readonly interactive: boolean;
  /** `undefined`: none given (the shell, or a usage error off a terminal). */
  readonly command: string | undefined;
  readonly args: readonly string[];
}

export type CliParse =
  | { readonly kind: 'run'; readonly options: CliOptions }
  | { readonly kind: 'help' }
  | { readonly kind: 'version' }
  | { readonly kind: 'usage'; readonly message: string };

function usage(message: string): CliParse {
  return { kind: 'usage', message };
}

/** Parses `mi`'s command line (without `node` and the script). Options come before COMMAND. */
export function parseCliArgs(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): CliParse {
  const sockets: string[] = [];
  let timeout = DEFAULT_TIMEOUT;
  let json = false;
  let protocol: CliProtocol = 'auto';
  let interactive = false;
  let i = 0;
  while (i < argv.length) {
    const arg = argv[i] ?? '';
    if (arg === '--') {
      i++;
      break;
    }
    if (!arg.startsWith('-') || arg === '-') break;
    i++;
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const flag = eq === -1 ? arg : arg.slice(0, eq);
    const inline = eq === -1 ? undefined : arg.slice(eq + 1);
    const takeValue = (): string | undefined => {
      if (inline !== undefined) return inline;
      const next = argv[i];
      if (next === undefined) return undefined;
      i++;
      return next;
    };
    switch (flag) {
      case '-h':
      case '--help':
        return { kind: 'help' };
      case '-V':
      case '--version':
        return { kind: 'version' };
      case '-i':
      case '--interactive':
      case '--json':
      case '--jsonrpc':
      case '--legacy': {
        if (inline !== undefined) return usage(`${flag} takes no value`);
        if (flag === '--json') json = true;
        else if (flag === '-i' || flag === '--interactive') interactive = true;
        else {
          const wanted = flag === '--jsonrpc' ? 'jsonrpc' : 'legacy';
          if (protocol !== 'auto' && protocol !== wanted) {
            return usage('--jsonrpc and --legacy exclude each other');
          }
          protocol = wanted;
        }
        break;
      }
      case '-s':
      case '--socket': {
        const value = takeValue();
        if (value === undefined || value === '') return usage(`${flag} needs a SOCKET`);
        sockets.push(value);
        break;
      }
      case '-t':
      case '--timeout': {
        const value = takeValue();
        if (value === undefined) return usage(`${flag} needs a number of milliseconds`);
        if (!/^\d+$/.test(value) || Number(value) <= 0 || Number(value) > 2 ** 31 - 1) {
          return usage(
            `invalid --timeout ${JSON.stringify(value)}: a positive number of milliseconds`,
          );
        }
        timeout = Number(value);
        break;
      }
      default:
        if (/^-s./.test(arg)) {
          sockets.push(arg.slice(2));
          break;
        }
        return usage(`unknown option ${arg}`);
    }
  }
  const command = argv[i];
  if (command === '') return usage('empty COMMAND');
  if (interactive && command !== undefined) return usage('-i takes no COMMAND');
  if (sockets.length === 0) {
    const fromEnv = env.MI_SOCKET;
    sockets.push(fromEnv !== undefined && fromEnv !== '' ? fromEnv : DEFAULT_SOCKET);
  }
  return {
    kind: 'run',
    options: {
      sockets,
      timeout,
      json,
      protocol,
      interactive,
      command,
      args: argv.slice(i + 1),
    },
  };
}

/** ARCHITECTURE.md: an ARG containing `::` is `name::value` (split at the first `::`), else a value. */
export function toMiArgument(arg: string): MiArgument {
  const at = arg.indexOf('::');
  if (at === -1) return arg;
  const name = arg.slice(0, at).trim();
  const value = arg.slice(at + 2);
  // An empty side is absent (`name::` → name with no value; PROTOCOL.md 2.2).
  return {
    ...(name === '' ? {} : { name }),
    ...(value === '' ? {} : { value }),
  };
}

/** JSON-RPC params from ARGs: all `name::value` → named, none → positional, mixed → an error. */
export function toJsonRpcParams(
  args: readonly string[],
):
  | { readonly params: readonly string[] | Readonly<Record<string, string>> | undefined }
  | { readonly error: string } {
  if (args.length === 0) return { params: undefined };
  const named = args.filter((arg) => arg.includes('::'));
  if (named.length === 0) return { params: [...args] };
  if (named.length !== args.length) {
    return { error: 'with --jsonrpc, ARGs are either all name::value or all plain values' };
  }
  const params: Record<string, string> = {};
  for (const arg of args) {
    const at = arg.indexOf('::');
    const name = arg.slice(0, at).trim();
    if (name === '') return { error: `--jsonrpc needs a name in ${JSON.stringify(arg)}` };
    if (Object.hasOwn(params, name)) return { error: `duplicate param ${JSON.stringify(name)}` };
    Object.defineProperty(params, name, {
      value: arg.slice(at + 2),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return { params };
}
