/** Configuration sources: command line, `--config` JSON file, `--opensips-cfg`. */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ConfigError } from '../common/index.js';
import { readModparams } from './opensips-cfg.js';
import { PARAM_NAMES, type ParamName, type ValidatedParams } from './params.js';
import { validateParams } from './validate.js';

/** What the command line asked for. */
export interface CliOptions {
  readonly help: boolean;
  readonly version: boolean;
  /** Parameters given as flags (validated). */
  readonly params: ValidatedParams;
  /** `--commands` files, resolved against the working directory. */
  readonly commands: readonly string[];
  readonly config: string | null;
  readonly opensipsCfg: string | null;
}

const VALUE_FLAGS: Readonly<
  Record<
    string,
    ParamName | 'level' | 'allow_from' | 'rate_limit' | 'commands' | 'config' | 'opensips-cfg'
  >
> = {
  '--level': 'level',
  '--allow-from': 'allow_from',
  '--rate-limit': 'rate_limit',
  '--socket-name': 'socket_name',
  '--children-count': 'children_count',
  '--unix-socket-mode': 'unix_socket_mode',
  '--unix-socket-user': 'unix_socket_user',
  '--unix-socket-group': 'unix_socket_group',
  '--socket-timeout': 'socket_timeout',
  '--reply-indent': 'reply_indent',
  '--log-level': 'log_level',
  '--commands': 'commands',
  '--config': 'config',
  '--opensips-cfg': 'opensips-cfg',
};

export const USAGE = `Usage: mi-datagram-server [options]

Serves OpenSIPS-style MI commands on UNIX or UDP datagram sockets.

Options (OpenSIPS mi_datagram parameter names with - for _):
  --socket-name S         /path/to.sock or udp:HOST:PORT (repeatable; port 0 = ephemeral)
                          default /tmp/mi-datagram.sock
  --children-count N      processes reading the socket (default 1)
  --unix-socket-mode M    octal permissions of the socket file (default 0660)
  --unix-socket-user U    owner of the socket file (name or id)
  --unix-socket-group G   group of the socket file (name or id)
  --socket-timeout MS     how long to keep trying to deliver a reply (default 2000)
  --reply-indent STR      indentation per tree level in replies (default TAB)
  --log-level N           -3 ALERT, -2 CRIT, -1 ERR, 1 WARN, 2 NOTICE (default), 3 INFO, 4 DBG
  --level L               access level of the listeners: read, operator, admin
                          (default admin; read for non-loopback UDP)
  --allow-from CIDR       UDP sources to serve (repeatable; default loopback only on
                          loopback binds; required on other binds)
  --allow-any-source      serve any UDP source on a non-loopback bind without --allow-from
  --rate-limit N          requests per second per source address (burst 1 s; 0 = none)
  --commands FILE         ES module whose default export is an array of commands (repeatable)
  --config FILE           JSON file with the same names as keys (snake_case)
  --opensips-cfg FILE     read the modparam("mi_datagram", ...) lines of an OpenSIPS config
  -h, --help              this text
  -V, --version           print the version

Precedence: command line > --config > --opensips-cfg > defaults.
Exit codes: 0 clean shutdown, 1 runtime failure, 2 invalid configuration.
`;

/** Parses the command line (without `node` and the script). Throws {@link ConfigError}. */
export function parseCommandLine(argv: readonly string[]): CliOptions {
  const raw: Record<string, unknown> = {};
  const sockets: string[] = [];
  const allowFrom: string[] = [];
  let allowAnySource = false;
  const commands: string[] = [];
  let config: string | null = null;
  let opensipsCfg: string | null = null;
  let help = false;
  let version = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    // `pnpm start -- --socket-name X` may pass the `--` through: ignore it.
    if (arg === '--') continue;
    if (arg === '-h' || arg === '--help') {
      help = true;
      continue;
    }
    if (arg === '-V' || arg === '--version') {
      version = true;
      continue;
    }
    if (arg === '--allow-any-source') {
      allowAnySource = true;
      continue;
    }
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const flag = eq === -1 ? arg : arg.slice(0, eq);
    const target = VALUE_FLAGS[flag];
    if (target === undefined) {
      const what = arg.startsWith('-')
        ? `unknown option ${flag}`
        : `unexpected argument ${JSON.stringify(arg)}`;
      throw new ConfigError('INVALID_SOURCE', flag, `${what} (see --help)`);
    }
    let value: string;
    if (eq !== -1) {
      value = arg.slice(eq + 1);
    } else {
      const next = argv[i + 1];
      if (next === undefined) {
        throw new ConfigError(
          'INVALID_PARAMETER',
          target,
          `option ${flag} needs a value (${target})`,
        );
      }
      value = next;
      i++;
    }
    switch (target) {
      case 'socket_name':
        sockets.push(value);
        break;
      case 'allow_from':
        allowFrom.push(value);
        break;
      case 'commands':
        commands.push(resolve(value));
        break;
      case 'config':
        config = resolve(value);
        break;
      case 'opensips-cfg':
        opensipsCfg = resolve(value);
        break;
      default:
        raw[target] = value;
    }
  }
  const params: ValidatedParams = {};
  // Validate flag by flag so the message names the flag the user typed.
  for (const [key, value] of Object.entries(raw)) {
    Object.assign(params, validateParams({ [key]: value }, `--${key.replaceAll('_', '-')}`));
  }
  if (sockets.length > 0) {
    Object.assign(params, validateParams({ socket_name: sockets }, '--socket-name'));
  }
  if (allowFrom.length > 0) {
    Object.assign(params, validateParams({ allow_from: allowFrom }, '--allow-from'));
  }
  if (allowAnySource) params.allow_any_source = true;
  return { help, version, params, commands, config, opensipsCfg };
}

function readText(path: string, parameter: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new ConfigError('INVALID_SOURCE', parameter, `cannot read ${parameter} ${path}: ${code}`);
  }
}

/** A `--config` JSON file: the parameters plus `commands` (paths relative to the file). */
export function loadConfigFile(path: string): { params: ValidatedParams; commands: string[] } {
  const text = readText(path, '--config');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : 'invalid JSON';
    throw new ConfigError(
      'INVALID_SOURCE',
      '--config',
      `invalid JSON in --config ${path}: ${reason}`,
    );
  }
  const source = `config file ${path}`;
  const params = validateParams(parsed, source, { extraKeys: ['commands'] });
  const list = (parsed as Record<string, unknown>).commands;
  const commands: string[] = [];
  if (list !== undefined) {
    const items: unknown[] = Array.isArray(list) ? list : [list];
    for (const item of items) {
      if (typeof item !== 'string' || item.length === 0) {
        throw new ConfigError(
          'INVALID_PARAMETER',
          'commands',
          `invalid commands (${source}): expected a path or a list of paths`,
        );
      }
      commands.push(resolve(dirname(path), item));
    }
  }
  return { params, commands };
}

/** The `modparam("mi_datagram", …)` lines of an OpenSIPS config file. */
export function loadOpensipsCfg(path: string): { params: ValidatedParams; warnings: string[] } {
  const text = readText(path, '--opensips-cfg');
  const params: ValidatedParams = {};
  const warnings: string[] = [];
  for (const mp of readModparams(text, path)) {
    const source = `--opensips-cfg ${path}:${mp.line}`;
    if (!(PARAM_NAMES as readonly string[]).includes(mp.param) || mp.param === 'log_level') {
      warnings.push(
        `${source}: mi_datagram parameter ${JSON.stringify(mp.param)} is not supported, ignored`,
      );
      continue;
    }
    Object.assign(params, validateParams({ [mp.param]: mp.value }, source));
  }
  return { params, warnings };
}
