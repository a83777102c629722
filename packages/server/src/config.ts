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
import type { ListenerPolicy } from './access.js';
import { isLoopbackHost, LOOPBACK_CIDRS, parseCidr } from './cidr.js';
import { COMMAND_LEVELS, type CommandLevel } from './commands.js';
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
  /**
   * Default access level of the listeners: `read`, `operator` or `admin`.
   * Default `admin` for UNIX sockets and loopback UDP binds, `read` for other
   * UDP binds (README "Access levels").
   */
  readonly level?: CommandLevel;
  /**
   * Default UDP allowlist: CIDR blocks (IPv4/IPv6). Default for loopback
   * binds `127.0.0.0/8` and `::1`; other binds need it or `allow_any_source`.
   */
  readonly allow_from?: string | readonly string[];
  /** Default per-source rate limit, requests per second (burst one second); 0 = none. Default 0. */
  readonly rate_limit?: number;
  /** Serve a non-loopback UDP bind without `allow_from` (any source). Default false. */
  readonly allow_any_source?: boolean;
  /**
   * The listeners with their own options (instead of `socket_name`): each
   * `{ socket_name, ...options }`, the options overriding the top-level ones.
   */
  readonly sockets?: readonly SocketParams[];
}

/** One entry of `sockets`. */
export interface SocketParams {
  readonly socket_name: string;
  readonly unix_socket_mode?: string | number;
  readonly unix_socket_user?: string | number;
  readonly unix_socket_group?: string | number;
  readonly level?: CommandLevel;
  readonly allow_from?: string | readonly string[];
  readonly rate_limit?: number;
  readonly allow_any_source?: boolean;
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

/** Per-listener options of a `sockets` entry, validated (absent = the top-level value). */
export interface ListenerOverrides {
  readonly unix_socket_mode?: number;
  readonly unix_socket_user?: string;
  readonly unix_socket_group?: string;
  readonly level?: CommandLevel;
  readonly allow_from?: readonly string[];
  readonly rate_limit?: number;
  readonly allow_any_source?: boolean;
}

/** A listener as a source gives it: the socket, and for a `sockets` entry its overrides. */
export type SocketEntry = SocketSpec & {
  /** `sockets[i]` for a `sockets` entry (names its parameters in errors). */
  readonly param?: string;
  readonly overrides?: ListenerOverrides;
};

/**
 * A resolved listener: its socket, its UNIX socket file settings and its
 * access policy, defaults and overrides applied. Plain JSON (it can be
 * handed to a worker process as is); `attachListener` applies it.
 */
export type ListenerSpec = SocketSpec & {
  readonly unix_socket_mode: number;
  readonly unix_socket_user: string | null;
  readonly unix_socket_group: string | null;
  readonly policy: ListenerPolicy;
};

/** The validated, complete configuration. */
export interface ResolvedConfig {
  /** The listeners, in order (`socket_name` values or `sockets` entries). */
  readonly sockets: readonly ListenerSpec[];
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

/** Keys of the listeners' access options (ours; not in the original, not read from `--opensips-cfg`). */
export const LISTENER_PARAM_NAMES = [
  'level',
  'allow_from',
  'rate_limit',
  'allow_any_source',
  'sockets',
] as const;

export type ListenerParamName = (typeof LISTENER_PARAM_NAMES)[number];

/** Every key `validateParams` accepts (config file, programmatic API). */
export const CONFIG_KEYS: readonly string[] = [...PARAM_NAMES, ...LISTENER_PARAM_NAMES];

/** Keys of one `sockets` entry. */
export const SOCKET_ENTRY_KEYS = [
  'socket_name',
  'unix_socket_mode',
  'unix_socket_user',
  'unix_socket_group',
  'level',
  'allow_from',
  'rate_limit',
  'allow_any_source',
] as const;

/** Highest `rate_limit` accepted (requests per second per source). */
export const MAX_RATE_LIMIT = 1_000_000;

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

/** Parses one `socket_name` value (`param` names it in errors, e.g. `sockets[1].socket_name`). */
export function parseSocketSpec(value: unknown, source: string, param = 'socket_name'): SocketSpec {
  if (typeof value !== 'string') {
    throw bad(param, source, `expected a string, got ${show(value)}`);
  }
  if (value.length === 0) throw bad(param, source, 'empty');
  if (/[\0\n\r]/.test(value)) {
    throw bad(param, source, `contains a NUL or line break: ${show(value)}`);
  }
  let parsed: ReturnType<typeof parseSocketName>;
  try {
    parsed = parseSocketName(value);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw bad(param, source, `${show(value)}: ${reason}`);
  }
  if (parsed.kind === 'unix') {
    const bytes = Buffer.byteLength(parsed.path);
    if (bytes > MAX_UNIX_PATH_BYTES) {
      throw bad(
        param,
        source,
        `UNIX socket path is ${bytes} bytes, at most ${MAX_UNIX_PATH_BYTES} fit: ${show(value)}`,
      );
    }
    if (parsed.path.endsWith('/')) {
      throw bad(param, source, `UNIX socket path names a directory: ${show(value)}`);
    }
    return { kind: 'unix', text: value, path: parsed.path };
  }
  if (!Number.isInteger(parsed.port) || parsed.port < 0 || parsed.port > 65535) {
    throw bad(param, source, `port out of range 0-65535: ${show(value)}`);
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
export function parseSocketMode(
  value: unknown,
  source: string,
  param = 'unix_socket_mode',
): number {
  let mode: number;
  if (typeof value === 'number') {
    mode = value;
  } else if (typeof value === 'string') {
    const m = /^\s*(?:0o)?([0-7]{1,4})\s*$/i.exec(value);
    if (m === null) {
      throw bad(param, source, `expected an octal mode like "0660", got ${show(value)}`);
    }
    mode = Number.parseInt(m[1] ?? '', 8);
  } else {
    throw bad(param, source, `expected an octal string or a number, got ${show(value)}`);
  }
  if (!Number.isInteger(mode) || mode < 0 || mode > 0o777) {
    throw bad(param, source, `expected permission bits in 0..0777 (octal), got ${show(value)}`);
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
  /** From `socket_name` (no `param`/`overrides`) or `sockets` (with them). */
  sockets?: SocketEntry[];
  level?: CommandLevel;
  allow_from?: string[];
  rate_limit?: number;
  allow_any_source?: boolean;
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
  if (record.socket_name !== undefined && record.sockets !== undefined) {
    throw bad('sockets', source, 'give either socket_name or sockets, not both');
  }
  for (const key of Object.keys(record)) {
    if (!CONFIG_KEYS.includes(key) && !options.extraKeys?.includes(key)) {
      throw new ConfigError(
        'INVALID_PARAMETER',
        key,
        `unknown parameter ${JSON.stringify(key)} (${source}); known: ${CONFIG_KEYS.join(', ')}`,
      );
    }
    const value = record[key];
    if (value === undefined) continue;
    if ((LISTENER_PARAM_NAMES as readonly string[]).includes(key)) {
      validateListenerParam(out, key as ListenerParamName, value, source);
      continue;
    }
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

function parseLevel(param: string, source: string, value: unknown): CommandLevel {
  if (typeof value !== 'string' || !(COMMAND_LEVELS as readonly string[]).includes(value)) {
    throw bad(param, source, `expected one of ${COMMAND_LEVELS.join(', ')}, got ${show(value)}`);
  }
  return value as CommandLevel;
}

/** CIDR blocks, normalised (`10.0.0.0/8`, `::1/128`). */
function parseAllowFrom(param: string, source: string, value: unknown): string[] {
  const list: unknown[] = Array.isArray(value) ? value : [value];
  if (list.length === 0) {
    throw bad(param, source, 'empty list (to serve no source at all, do not listen)');
  }
  return list.map((item) => {
    if (typeof item !== 'string') {
      throw bad(param, source, `expected CIDR blocks (strings), got ${show(item)}`);
    }
    const cidr = parseCidr(item);
    if (typeof cidr === 'string') throw bad(param, source, cidr);
    return cidr.text;
  });
}

function parseBoolean(param: string, source: string, value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === 'false') return value === 'true';
  throw bad(param, source, `expected true or false, got ${show(value)}`);
}

/** Validates one of {@link LISTENER_PARAM_NAMES} into `out`. */
function validateListenerParam(
  out: ValidatedParams,
  key: ListenerParamName,
  value: unknown,
  source: string,
): void {
  switch (key) {
    case 'level':
      out.level = parseLevel('level', source, value);
      return;
    case 'allow_from':
      out.allow_from = parseAllowFrom('allow_from', source, value);
      return;
    case 'rate_limit':
      out.rate_limit = integer('rate_limit', source, value, 0, MAX_RATE_LIMIT, ' (requests/s)');
      return;
    case 'allow_any_source':
      out.allow_any_source = parseBoolean('allow_any_source', source, value);
      return;
    case 'sockets':
      out.sockets = parseSocketEntries(value, source);
      return;
  }
}

/** `sockets: [{ socket_name, ...options }]`; errors name `sockets[i].key`. */
function parseSocketEntries(value: unknown, source: string): SocketEntry[] {
  if (!Array.isArray(value)) {
    throw bad(
      'sockets',
      source,
      `expected a list of { socket_name, ... } objects, got ${show(value)}`,
    );
  }
  if (value.length === 0) throw bad('sockets', source, 'empty list');
  return value.map((item: unknown, i): SocketEntry => {
    const param = `sockets[${i}]`;
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      throw bad(param, source, `expected an object { socket_name, ... }, got ${show(item)}`);
    }
    const entry = item as Record<string, unknown>;
    for (const key of Object.keys(entry)) {
      if (!(SOCKET_ENTRY_KEYS as readonly string[]).includes(key)) {
        throw new ConfigError(
          'INVALID_PARAMETER',
          `${param}.${key}`,
          `unknown parameter ${param}.${key} (${source}); known: ${SOCKET_ENTRY_KEYS.join(', ')}`,
        );
      }
    }
    if (entry.socket_name === undefined) {
      throw bad(`${param}.socket_name`, source, 'missing (every sockets entry names its socket)');
    }
    const spec = parseSocketSpec(entry.socket_name, source, `${param}.socket_name`);
    const o: {
      -readonly [K in keyof ListenerOverrides]: ListenerOverrides[K];
    } = {};
    const onlyFor = (key: string, kind: 'unix' | 'udp') => {
      if (entry[key] !== undefined && spec.kind !== kind) {
        throw bad(
          `${param}.${key}`,
          source,
          `only for ${kind === 'unix' ? 'UNIX' : 'UDP'} sockets (${spec.text} is ${spec.kind === 'unix' ? 'a UNIX socket' : 'UDP'})`,
        );
      }
    };
    for (const key of ['unix_socket_mode', 'unix_socket_user', 'unix_socket_group']) {
      onlyFor(key, 'unix');
    }
    for (const key of ['allow_from', 'allow_any_source']) onlyFor(key, 'udp');
    if (entry.unix_socket_mode !== undefined) {
      o.unix_socket_mode = parseSocketMode(
        entry.unix_socket_mode,
        source,
        `${param}.unix_socket_mode`,
      );
    }
    if (entry.unix_socket_user !== undefined) {
      o.unix_socket_user = owner(`${param}.unix_socket_user`, source, entry.unix_socket_user);
    }
    if (entry.unix_socket_group !== undefined) {
      o.unix_socket_group = owner(`${param}.unix_socket_group`, source, entry.unix_socket_group);
    }
    if (entry.level !== undefined) o.level = parseLevel(`${param}.level`, source, entry.level);
    if (entry.allow_from !== undefined) {
      o.allow_from = parseAllowFrom(`${param}.allow_from`, source, entry.allow_from);
    }
    if (entry.rate_limit !== undefined) {
      o.rate_limit = integer(
        `${param}.rate_limit`,
        source,
        entry.rate_limit,
        0,
        MAX_RATE_LIMIT,
        ' (requests/s)',
      );
    }
    if (entry.allow_any_source !== undefined) {
      o.allow_any_source = parseBoolean(
        `${param}.allow_any_source`,
        source,
        entry.allow_any_source,
      );
    }
    return { ...spec, param, overrides: o };
  });
}

/**
 * One listener's settings: its overrides, else the top-level values, else
 * the defaults. Refuses a non-loopback UDP bind without an allowlist unless
 * `allow_any_source` is set.
 */
function resolveListener(
  entry: SocketEntry,
  merged: ValidatedParams,
  warnings: string[],
): ListenerSpec {
  const o = entry.overrides ?? {};
  const prefix = entry.param === undefined ? '' : `${entry.param}.`;
  const { param: _param, overrides: _overrides, ...spec } = entry;
  const loopback = spec.kind === 'udp' && isLoopbackHost(spec.host);
  // UNIX sockets are guarded by file permissions, loopback UDP by the host
  // (Linux drops packets with a loopback source that arrive on another
  // interface): admin, as the original. A UDP source elsewhere can be spoofed
  // blind (and `kill` needs no reply): read unless the operator says more.
  const level = o.level ?? merged.level ?? (spec.kind === 'unix' || loopback ? 'admin' : 'read');
  const rateLimit = o.rate_limit ?? merged.rate_limit ?? 0;
  let allowFrom: readonly string[] | null = null;
  if (spec.kind === 'udp') {
    const anySource = o.allow_any_source ?? merged.allow_any_source ?? false;
    allowFrom = o.allow_from ?? merged.allow_from ?? null;
    if (allowFrom === null && !anySource) {
      if (!loopback) {
        throw bad(
          `${prefix}allow_from`,
          'merged configuration',
          `${spec.text} binds a non-loopback address and would answer anyone: give allow_from (CIDR blocks, --allow-from) or allow_any_source (--allow-any-source)`,
        );
      }
      allowFrom = LOOPBACK_CIDRS;
    }
  }
  let mode = o.unix_socket_mode ?? merged.unix_socket_mode ?? DEFAULTS.unix_socket_mode;
  if (mode === 0 && spec.kind === 'unix') {
    // PROTOCOL.md 1: the original refuses mode 0 and forces 0600.
    warnings.push(
      `${prefix}unix_socket_mode 0 would make the socket unusable: using 0600 as the original does`,
    );
    mode = 0o600;
  }
  return {
    ...spec,
    unix_socket_mode: mode,
    unix_socket_user: o.unix_socket_user ?? merged.unix_socket_user ?? null,
    unix_socket_group: o.unix_socket_group ?? merged.unix_socket_group ?? null,
    policy: {
      level,
      allow_from: allowFrom === null ? null : [...allowFrom],
      rate_limit: rateLimit,
    },
  };
}

/** Merges validated layers, lowest precedence first, over the defaults. */
export function resolveConfig(layers: readonly ValidatedParams[]): ResolvedConfig {
  const merged: ValidatedParams = {};
  for (const layer of layers) Object.assign(merged, layer);
  const entries: SocketEntry[] = merged.sockets ?? [
    parseSocketSpec(DEFAULTS.socket_name, 'default'),
  ];
  const seen = new Set<string>();
  for (const s of entries) {
    const key = s.kind === 'unix' ? `unix:${resolve(s.path)}` : `udp:${s.host}:${s.port}`;
    if (seen.has(key) && !(s.kind === 'udp' && s.port === 0)) {
      const param = s.param === undefined ? 'socket_name' : `${s.param}.socket_name`;
      throw bad(param, 'merged configuration', `listed twice: ${show(s.text)}`);
    }
    seen.add(key);
  }
  const warnings: string[] = [];
  for (const s of entries) {
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
  // Every listener is resolved (and refused if unsafe) before anything binds.
  const sockets = entries.map((entry) =>
    resolveListener(entry, { ...merged, unix_socket_mode: mode }, warnings),
  );
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
