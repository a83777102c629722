/**
 * Configuration: the parameters and their defaults, their sources (command
 * line, `--config` file, opensips.cfg modparams), validation, resolution.
 */
export {
  METRICS_PARAM_NAMES,
  type MetricsListenSpec,
  type MetricsParamName,
  metricsEndpointSpec,
} from './metrics-params.js';
export { type ModparamValue, readModparams } from './opensips-cfg.js';
export {
  BOUND_PARAM_NAMES,
  type BoundParamName,
  CONFIG_KEYS,
  DEFAULT_SOCKET_NAME,
  DEFAULTS,
  LISTENER_PARAM_NAMES,
  type ListenerOverrides,
  type ListenerParamName,
  type ListenerSpec,
  MAX_IN_FLIGHT,
  MAX_IN_FLIGHT_BYTES,
  MAX_RATE_LIMIT,
  MAX_UNIX_PATH_BYTES,
  type MiDatagramParams,
  PARAM_NAMES,
  type ParamName,
  type ResolvedConfig,
  SOCKET_ENTRY_KEYS,
  type SocketEntry,
  type SocketParams,
  type SocketSpec,
  type ValidatedParams,
  workLimitsOf,
} from './params.js';
export { resolveConfig } from './resolve.js';
export {
  type CliOptions,
  loadConfigFile,
  loadOpensipsCfg,
  parseCommandLine,
  USAGE,
} from './sources.js';
export { parseSocketMode, parseSocketSpec, validateParams } from './validate.js';
