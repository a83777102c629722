/**
 * `metrics_listen` (`--metrics-listen HOST:PORT`) and `metrics_allow_from`:
 * the optional HTTP endpoint serving `GET /metrics` (off by default). Same
 * rule as a UDP listener: a loopback bind serves loopback clients; any other
 * bind needs an allowlist.
 */
import { CidrList, isLoopbackHost, LOOPBACK_CIDRS } from '../access/index.js';
import { ConfigError } from '../common/index.js';

export const METRICS_PARAM_NAMES = ['metrics_listen', 'metrics_allow_from'] as const;
export type MetricsParamName = (typeof METRICS_PARAM_NAMES)[number];

/** The metrics endpoint, resolved. */
export interface MetricsListenSpec {
  /** As given (`127.0.0.1:9464`). */
  readonly text: string;
  readonly host: string;
  /** 0 = ephemeral. */
  readonly port: number;
  /** HTTP clients served (CIDR blocks); others get 403. */
  readonly allow_from: readonly string[];
}

export interface MetricsParams {
  metrics_listen?: { readonly text: string; readonly host: string; readonly port: number };
  metrics_allow_from?: string[];
}

/** The endpoint of the merged parameters, or null (off); refuses a public bind without an allowlist. */
export function resolveMetrics(merged: MetricsParams): MetricsListenSpec | null {
  const listen = merged.metrics_listen;
  if (listen === undefined) return null;
  let allow = merged.metrics_allow_from ?? null;
  if (allow === null) {
    if (!isLoopbackHost(listen.host)) {
      throw new ConfigError(
        'INVALID_PARAMETER',
        'metrics_allow_from',
        `invalid metrics_allow_from (merged configuration): metrics_listen ${listen.text} binds a non-loopback address and would answer anyone: give metrics_allow_from (CIDR blocks, --metrics-allow-from)`,
      );
    }
    allow = [...LOOPBACK_CIDRS];
  }
  return { text: listen.text, host: listen.host, port: listen.port, allow_from: allow };
}

/** What the endpoint (ops/metrics-http.ts) needs: the address and the allowlist as a predicate. */
export function metricsEndpointSpec(spec: MetricsListenSpec): {
  readonly host: string;
  readonly port: number;
  readonly allowed: (address: string) => boolean;
} {
  const allow = new CidrList(spec.allow_from);
  return { host: spec.host, port: spec.port, allowed: (address) => allow.matches(address) };
}
