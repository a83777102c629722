/**
 * Configuration: the parameters and their defaults, their sources (command
 * line, `--config` file, opensips.cfg modparams), validation, resolution.
 */
export { type ModparamValue, readModparams } from './opensips-cfg.js';
export {
  CONFIG_KEYS,
  DEFAULT_SOCKET_NAME,
  DEFAULTS,
  LISTENER_PARAM_NAMES,
  type ListenerOverrides,
  type ListenerParamName,
  type ListenerSpec,
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
