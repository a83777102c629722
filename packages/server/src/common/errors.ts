/**
 * Error classes of the server package. Callers match on `code` (or on the
 * brand, for {@link MiError}), never on message text.
 */

const MI_ERROR_BRAND = Symbol.for('@mi-datagram/server.MiError');

/**
 * Thrown by a command handler to answer with an ordinary error reply
 * (status line + final empty line, e.g. `404 Too few arguments\n\n`).
 * Any other exception becomes the transport error `500 command failed\n`.
 */
export class MiError extends Error {
  /** Decimal status code of the reply (100–999). */
  readonly code: number;
  /** Reason phrase of the status line (single line). */
  readonly reason: string;

  constructor(code: number, reason: string) {
    super(`${code} ${reason}`);
    this.name = 'MiError';
    this.code = code;
    this.reason = reason;
    Object.defineProperty(this, MI_ERROR_BRAND, { value: true });
  }
}

/**
 * True for an {@link MiError}, also one created by another copy of this
 * package (a command module may resolve its own `@mi-datagram/server`).
 */
export function isMiError(error: unknown): error is MiError {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as Record<symbol, unknown>)[MI_ERROR_BRAND] === true
  );
}

/** Codes of {@link ConfigError}. */
export type ConfigErrorCode =
  /** A parameter has a bad value or type. */
  | 'INVALID_PARAMETER'
  /** A configuration source (file, command line) cannot be read or parsed. */
  | 'INVALID_SOURCE'
  /** A commands module is missing, fails to load, or holds a bad definition. */
  | 'INVALID_COMMANDS'
  /** The configuration asks for something this build cannot do. */
  | 'UNSUPPORTED';

/**
 * A configuration problem found before anything was bound. The CLI prints
 * `message` (one line, naming the parameter) and exits with code 2.
 */
export class ConfigError extends Error {
  readonly code: ConfigErrorCode;
  /** The parameter (`socket_timeout`, `commands`, `--config` …) the problem is about. */
  readonly parameter: string;

  constructor(code: ConfigErrorCode, parameter: string, message: string) {
    super(message);
    this.name = 'ConfigError';
    this.code = code;
    this.parameter = parameter;
  }
}

export function isConfigError(error: unknown): error is ConfigError {
  return error instanceof ConfigError;
}
