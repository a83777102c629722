/**
 * The server's parameters: the original mi_datagram module's names, defaults
 * and meaning (PROTOCOL.md 1), validated before anything is bound.
 *
 * Sources, highest precedence first: command line > `--config` JSON file >
 * `--opensips-cfg` modparam lines > defaults. `commands` lists are
 * concatenated (config file first, then command line) instead of replaced.
 */
import { resolve } from 'node:path';
import { parseSocketName } from '@mi-datagram/protocol';
import { ConfigError } from './errors.js';
import { DEFAULT_LOG_LEVEL } from './logger.js';

/** The parameters as a user writes them (programmatic API, `--config` file). */
export interface MiDatagramParams {
  /**
   * `udp:HOST:PORT` (IPv4, `[IPv6]`, host name; port 0 = ephemeral) or a UNIX
   * socket path; several to listen on several sockets. Default
   * `/tmp/mi-datagram.sock`.
   */
  readonly socket_name?: string | readonly string[];
  /** Number of processes reading the socket. Default 1 (>1 needs `@mi-datagram/worker-pool`). */
  readonly children_count?: number;
  /** Permissions of the UNIX socket file: octal string (`"0660"`) or number (`0o660`). Default `0o660`. */
  readonly unix_socket_mode?: string | number;
  /** Owner of the UNIX socket file (name or numeric id). Default: the process's user. */
  readonly unix_socket_user?: string | number;
  /** Group of the UNIX socket file (name or numeric id). Default: the process's group. */
  readonly unix_socket_group?: string | number;
  /** Milliseconds the server keeps trying to deliver one reply. Default 2000. */
  readonly socket_timeout?: number;
  /** Indentation per tree level in replies. Default one TAB. */
  readonly reply_indent?: string;
  /** Initial log level (OpenSIPS numbers, -3..4). Default 2 (NOTICE). */
  readonly log_level?: number;
}

/** A parsed `socket_name`. */
export type SocketSpec =
  | { readonly kind: 'unix'; readonly text: string; readonly path: string }
  | {
      readonly kind: 'udp';
      readonly text: string;
      readonly host: string;
      readonly port: number;
      readonly family: 4 | 6 | 0;
    };

/** The validated, complete configuration. */
export interface ResolvedConfig {
  readonly sockets: readonly SocketSpec[];
  readonly children_count: number;
  readonly unix_socket_mode: number;
  readonly unix_socket_user: string | null;
  readonly unix_socket_group: string | null;
  readonly socket_timeout: number;
  readonly reply_indent: string;
  readonly log_level: number;
  /** Valid but unusual settings, one line each (printed to stderr at startup). */
  readonly warnings: readonly string[];
}

export const DEFAULT_SOCKET_NAME = '/tmp/mi-datagram.sock';

export const DEFAULTS = {
  socket_name: DEFAULT_SOCKET_NAME,
  children_count: 1,
  unix_socket_mode: 0o660,
  socket_timeout: 2000,
  reply_indent: '\t',
  log_level: DEFAULT_LOG_LEVEL,
} as const;

/** Keys accepted in a `--config` file besides {@link PARAM_NAMES}. */
export const PARAM_NAMES = [
  'socket_name',
  'children_count',
  'unix_socket_mode',
  'unix_socket_user',
  'unix_socket_group',
  'socket_timeout',
  'reply_indent',
  'log_level',
] as const;

export type ParamName = (typeof PARAM_NAMES)[number];

/** Largest UNIX socket path in bytes (`sun_path` is 108 bytes with its NUL). */
export const MAX_UNIX_PATH_BYTES = 107;

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null)
    return String(value);
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}

function bad(param: string, source: string, detail: string): ConfigError {
  return new ConfigError('INVALID_PARAMETER', param, `invalid ${param} (${source}): ${detail}`);
}

/** Parses one `socket_name` value. */
export function parseSocketSpec(value: unknown, source: string): SocketSpec {
  if (typeof value !== 'string') {
    throw bad('socket_name', source, `expected a string, got ${show(value)}`);
  }
  if (value.length === 0) throw bad('socket_name', source, 'empty');
  if (/[\0\n\r]/.test(value)) {
    throw bad('socket_name', source, `contains a NUL or line break: ${show(value)}`);
  }
  let parsed: ReturnType<typeof parseSocketName>;
  try {
    parsed = parseSocketName(value);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw bad('socket_name', source, `${show(value)}: ${reason}`);
  }
  if (parsed.kind === 'unix') {
    const bytes = Buffer.byteLength(parsed.path);
    if (bytes > MAX_UNIX_PATH_BYTES) {
      throw bad(
        'socket_name',
        source,
        `UNIX socket path is ${bytes} bytes, at most ${MAX_UNIX_PATH_BYTES} fit: ${show(value)}`,
      );
    }
    if (parsed.path.endsWith('/')) {
      throw bad('socket_name', source, `UNIX socket path names a directory: ${show(value)}`);
    }
    return { kind: 'unix', text: value, path: parsed.path };
  }
  if (!Number.isInteger(parsed.port) || parsed.port < 0 || parsed.port > 65535) {
    throw bad('socket_name', source, `port out of range 0-65535: ${show(value)}`);
  }
  return {
    kind: 'udp',
    text: value,
    host: parsed.host,
    port: parsed.port,
    family: parsed.family,
  };
}

function integer(
  param: string,
  source: string,
  value: unknown,
  min: number,
  max: number,
  unit = '',
): number {
  let n: number;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string' && /^\s*[+-]?[0-9]+\s*$/.test(value)) n = Number(value);
  else throw bad(param, source, `expected an integer${unit}, got ${show(value)}`);
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw bad(param, source, `expected an integer${unit} in ${min}..${max}, got ${show(value)}`);
  }
  return n;
}

/** `unix_socket_mode`: octal string (`0660`, `660`, `0o660`) or a number (the mode itself). */
export function parseSocketMode(value: unknown, source: string): number {
  let mode: number;
  if (typeof value === 'number') {
    mode = value;
  } else if (typeof value === 'string') {
    const m = /^\s*(?:0o)?([0-7]{1,4})\s*$/i.exec(value);
    if (m === null) {
      throw bad(
        'unix_socket_mode',
        source,
        `expected an octal mode like "0660", got ${show(value)}`,
      );
    }
    mode = Number.parseInt(m[1] ?? '', 8);
  } else {
    throw bad(
      'unix_socket_mode',
      source,
      `expected an octal string or a number, got ${show(value)}`,
    );
  }
  if (!Number.isInteger(mode) || mode < 0 || mode > 0o777) {
    throw bad(
      'unix_socket_mode',
      source,
      `expected permission bits in 0..0777 (octal), got ${show(value)}`,
    );
  }
  return mode;
}

function owner(param: string, source: string, value: unknown): string {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0 || value > 0xfffffffe) {
      throw bad(param, source, `expected a name or a numeric id, got ${show(value)}`);
    }
    return String(value);
  }
  if (typeof value !== 'string' || value.length === 0 || /[\0\n\r:]/.test(value)) {
    throw bad(param, source, `expected a user/group name or a numeric id, got ${show(value)}`);
  }
  return value;
}

/** A partial, validated set of parameters from one source. */
export interface ValidatedParams {
  sockets?: SocketSpec[];
  children_count?: number;
  unix_socket_mode?: number;
  unix_socket_user?: string;
  unix_socket_group?: string;
  socket_timeout?: number;
  reply_indent?: string;
  log_level?: number;
}

/**
 * Validates the parameters of one source. Unknown keys are refused (a typo
 * must not be silently ignored). `source` appears in error messages
 * (`--socket-timeout`, `config file /etc/x.json`).
 */
export function validateParams(
  input: unknown,
  source: string,
  options: { readonly extraKeys?: readonly string[] } = {},
): ValidatedParams {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new ConfigError(
      'INVALID_SOURCE',
      source,
      `invalid configuration (${source}): expected an object`,
    );
  }
  const record = input as Record<string, unknown>;
  const out: ValidatedParams = {};
  for (const key of Object.keys(record)) {
    if (!(PARAM_NAMES as readonly string[]).includes(key) && !options.extraKeys?.includes(key)) {
      throw new ConfigError(
        'INVALID_PARAMETER',
        key,
        `unknown parameter ${JSON.stringify(key)} (${source}); known: ${PARAM_NAMES.join(', ')}`,
      );
    }
    const value = record[key];
    if (value === undefined) continue;
    switch (key as ParamName) {
      case 'socket_name': {
        const list: unknown[] = Array.isArray(value) ? value : [value];
        if (list.length === 0) throw bad('socket_name', source, 'empty list');
        out.sockets = list.map((v) => parseSocketSpec(v, source));
        break;
      }
      case 'children_count':
        out.children_count = integer('children_count', source, value, 1, 1024);
        break;
      case 'unix_socket_mode':
        out.unix_socket_mode = parseSocketMode(value, source);
        break;
      case 'unix_socket_user':
        out.unix_socket_user = owner('unix_socket_user', source, value);
        break;
      case 'unix_socket_group':
        out.unix_socket_group = owner('unix_socket_group', source, value);
        break;
      case 'socket_timeout':
        out.socket_timeout = integer(
          'socket_timeout',
          source,
          value,
          0,
          2_147_483_647,
          ' (milliseconds)',
        );
        break;
      case 'reply_indent':
        if (typeof value !== 'string' || /[\n\r\0]/.test(value) || value.length > 64) {
          throw bad(
            'reply_indent',
            source,
            `expected a string of at most 64 characters without line breaks, got ${show(value)}`,
          );
        }
        out.reply_indent = value;
        break;
      case 'log_level':
        out.log_level = integer('log_level', source, value, -3, 4);
        break;
    }
  }
  return out;
}

/** Merges validated layers, lowest precedence first, over the defaults. */
export function resolveConfig(layers: readonly ValidatedParams[]): ResolvedConfig {
  const merged: ValidatedParams = {};
  for (const layer of layers) Object.assign(merged, layer);
  const sockets = merged.sockets ?? [parseSocketSpec(DEFAULTS.socket_name, 'default')];
  const seen = new Set<string>();
  for (const s of sockets) {
    const key = s.kind === 'unix' ? `unix:${resolve(s.path)}` : `udp:${s.host}:${s.port}`;
    if (seen.has(key) && !(s.kind === 'udp' && s.port === 0)) {
      throw bad('socket_name', 'merged configuration', `listed twice: ${show(s.text)}`);
    }
    seen.add(key);
  }
  const warnings: string[] = [];
  for (const s of sockets) {
    if (s.kind === 'udp' && s.port > 0 && s.port < 1024) {
      warnings.push(
        `socket_name ${s.text}: port ${s.port} is below 1024 (privileged; the original accepts 1024-65535 only)`,
      );
    }
  }
  let mode = merged.unix_socket_mode ?? DEFAULTS.unix_socket_mode;
  if (mode === 0) {
    // PROTOCOL.md 1: the original refuses mode 0 and forces 0600.
    warnings.push(
      'unix_socket_mode 0 would make the socket unusable: using 0600 as the original does',
    );
    mode = 0o600;
  }
  return {
    sockets,
    children_count: merged.children_count ?? DEFAULTS.children_count,
    unix_socket_mode: mode,
    unix_socket_user: merged.unix_socket_user ?? null,
    unix_socket_group: merged.unix_socket_group ?? null,
    socket_timeout: merged.socket_timeout ?? DEFAULTS.socket_timeout,
    reply_indent: merged.reply_indent ?? DEFAULTS.reply_indent,
    log_level: merged.log_level ?? DEFAULTS.log_level,
    warnings,
  };
}
