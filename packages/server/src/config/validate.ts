/**
 * Validation of the parameters of one source (command line, `--config` file,
 * opensips.cfg modparams): types, ranges, socket names, listener settings.
 */

import { parseSocketName } from '@mi-datagram/protocol';
import { ConfigError, MAX_COMMAND_TIMEOUT_MS } from '../common/index.js';
import { parseRunAs } from '../ops/index.js';
import { MIN_IN_FLIGHT_BYTES } from '../request/index.js';
import { METRICS_PARAM_NAMES, type MetricsParamName } from './metrics-params.js';
import {
  BOUND_PARAM_NAMES,
  type BoundParamName,
  CONFIG_KEYS,
  LISTENER_PARAM_NAMES,
  type ListenerOverrides,
  type ListenerParamName,
  MAX_IN_FLIGHT,
  MAX_IN_FLIGHT_BYTES,
  MAX_RATE_LIMIT,
  MAX_UNIX_PATH_BYTES,
  type ParamName,
  SOCKET_ENTRY_KEYS,
  type SocketEntry,
  type SocketSpec,
  type ValidatedParams,
} from './params.js';
import { bad, integer, owner, parseAllowFrom, parseBoolean, parseLevel, show } from './values.js';

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
    if (key === 'run_as') {
      out.run_as = parseRunAs(value, source);
      continue;
    }
    if ((METRICS_PARAM_NAMES as readonly string[]).includes(key)) {
      validateMetricsParam(out, key as MetricsParamName, value, source);
      continue;
    }
    if ((LISTENER_PARAM_NAMES as readonly string[]).includes(key)) {
      validateListenerParam(out, key as ListenerParamName, value, source);
      continue;
    }
    if ((BOUND_PARAM_NAMES as readonly string[]).includes(key)) {
      validateBoundParam(out, key as BoundParamName, value, source);
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

/** Validates one of {@link BOUND_PARAM_NAMES} into `out` (the in-flight bound, the deadline). */
function validateBoundParam(
  out: ValidatedParams,
  key: BoundParamName,
  value: unknown,
  source: string,
): void {
  const n = (min: number, max: number, unit: string) => integer(key, source, value, min, max, unit);
  switch (key) {
    case 'max_in_flight':
      out.max_in_flight = n(1, MAX_IN_FLIGHT, ' (handlers)');
      return;
    case 'max_in_flight_bytes':
      // At least one request of the largest size must fit.
      out.max_in_flight_bytes = n(MIN_IN_FLIGHT_BYTES, MAX_IN_FLIGHT_BYTES, ' (bytes)');
      return;
    case 'in_flight_source_share':
      out.in_flight_source_share = n(1, 100, ' (percent)');
      return;
    case 'operator_reserve':
      out.operator_reserve = n(0, MAX_IN_FLIGHT, ' (handlers)');
      return;
    case 'command_timeout':
      out.command_timeout = n(1, MAX_COMMAND_TIMEOUT_MS, ' (milliseconds)');
      return;
  }
}

/** `metrics_listen` (HOST:PORT, as a UDP bind's) or `metrics_allow_from` (CIDR blocks). */
function validateMetricsParam(
  out: ValidatedParams,
  key: MetricsParamName,
  value: unknown,
  source: string,
): void {
  if (key === 'metrics_allow_from') {
    out.metrics_allow_from = parseAllowFrom(key, source, value);
    return;
  }
  if (typeof value !== 'string' || value.startsWith('/') || value.startsWith('udp:')) {
    throw bad(key, source, `expected HOST:PORT, got ${show(value)}`);
  }
  const spec = parseSocketSpec(`udp:${value}`, source, key);
  if (spec.kind !== 'udp') throw bad(key, source, `expected HOST:PORT, got ${show(value)}`);
  out.metrics_listen = { text: value, host: spec.host, port: spec.port };
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
