/** Shared vocabulary of every folder: error classes, privilege levels, small value checks. */
export {
  ConfigError,
  type ConfigErrorCode,
  isConfigError,
  isMiError,
  MiError,
} from './errors.js';
export { COMMAND_LEVELS, type CommandLevel } from './levels.js';
export { isRecord, isThenable } from './values.js';
