/**
 * The server's parameters: the original mi_datagram module's names, defaults
 * and meaning (PROTOCOL.md 1), validated before anything is bound.
 *
 * Sources, highest precedence first: command line > `--config` JSON file >
 * `--opensips-cfg` modparam lines > defaults. `commands` lists are
 * concatenated (config file first, then command line) instead of replaced.
 */
import type { ListenerPolicy } from '../access/index.js';
import type { CommandLevel } from '../common/index.js';
import { DEFAULT_LOG_LEVEL } from '../ops/index.js';

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
