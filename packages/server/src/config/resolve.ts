/** The merged configuration: layers of validated parameters resolved into listeners. */
import { resolve } from 'node:path';
import { isLoopbackHost, LOOPBACK_CIDRS } from '../access/index.js';
import { resolveMetrics } from './metrics-params.js';
import {
  DEFAULTS,
  type ListenerSpec,
  type ResolvedConfig,
  type SocketEntry,
  type ValidatedParams,
} from './params.js';
import { parseSocketSpec } from './validate.js';
import { bad, show } from './values.js';

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
    run_as: merged.run_as ?? null,
    max_in_flight: merged.max_in_flight ?? DEFAULTS.max_in_flight,
    max_in_flight_bytes: merged.max_in_flight_bytes ?? DEFAULTS.max_in_flight_bytes,
    in_flight_source_share: merged.in_flight_source_share ?? DEFAULTS.in_flight_source_share,
    operator_reserve: merged.operator_reserve ?? DEFAULTS.operator_reserve,
    command_timeout: merged.command_timeout ?? DEFAULTS.command_timeout,
    metrics: resolveMetrics(merged),
    warnings,
  };
}
