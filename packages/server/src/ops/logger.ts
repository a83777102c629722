/**
 * A small structured logger whose threshold is the OpenSIPS log level
 * (changed at run time by the `log_level` MI command).
 *
 * Levels (OpenSIPS numbers): -3 ALERT, -2 CRIT, -1 ERR, 1 WARN, 2 NOTICE,
 * 3 INFO, 4 DBG. A message is written when its level is <= the logger's
 * level. The default level is 2 (NOTICE), the value the original ships with
 * in its sample configs. Output: one JSON object per line on stderr.
 */

export const LOG_LEVEL = {
  ALERT: -3,
  CRIT: -2,
  ERR: -1,
  WARN: 1,
  NOTICE: 2,
  INFO: 3,
  DBG: 4,
} as const;

/** Default threshold: NOTICE. */
export const DEFAULT_LOG_LEVEL: number = LOG_LEVEL.NOTICE;

/** Extra key/values of a log line. `Error` values are expanded (message, code, stack). */
export type LogFields = Readonly<Record<string, unknown>>;

export interface Logger {
  /** Current threshold; read it directly to skip building expensive messages. */
  level: number;
  /** True when a message at `level` would be written. */
  enabled(level: number): boolean;
  log(level: number, msg: string, fields?: LogFields): void;
  alert(msg: string, fields?: LogFields): void;
  crit(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  notice(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  debug(msg: string, fields?: LogFields): void;
}

export interface LoggerOptions {
  /** Initial threshold. Default {@link DEFAULT_LOG_LEVEL} (2, NOTICE). */
  readonly level?: number;
  /** Receives each formatted line (without its newline). Default: write to `process.stderr`. */
  readonly write?: (line: string) => void;
  /** Fields added to every line (e.g. `{ pid }`). Default `{ pid: process.pid }`. */
  readonly base?: LogFields;
}

const LEVEL_NAMES: Readonly<Record<number, string>> = {
  [-3]: 'alert',
  [-2]: 'crit',
  [-1]: 'error',
  0: 'error',
  1: 'warn',
  2: 'notice',
  3: 'info',
  4: 'debug',
};

function levelName(level: number): string {
  return LEVEL_NAMES[level] ?? (level > 4 ? 'debug' : 'alert');
}

function expandError(error: Error): Record<string, unknown> {
  const out: Record<string, unknown> = { name: error.name, message: error.message };
  const code = (error as { code?: unknown }).code;
  if (code !== undefined) out.code = code;
  if (error.stack !== undefined) out.stack = error.stack;
  if (error.cause !== undefined) {
    out.cause = error.cause instanceof Error ? expandError(error.cause) : String(error.cause);
  }
  return out;
}

function safeStringify(record: Record<string, unknown>): string {
  try {
    return JSON.stringify(record, (_key, value: unknown) => {
      if (value instanceof Error) return expandError(value);
      if (typeof value === 'bigint') return value.toString();
      if (value instanceof Uint8Array) return Buffer.from(value).toString('latin1');
      return value;
    });
  } catch {
    return JSON.stringify({ time: record.time, level: record.level, msg: record.msg });
  }
}

class JsonLineLogger implements Logger {
  level: number;
  readonly #write: (line: string) => void;
  readonly #base: LogFields;

  constructor(options: LoggerOptions) {
    this.level = options.level ?? DEFAULT_LOG_LEVEL;
    this.#write = options.write ?? ((line) => process.stderr.write(`${line}\n`));
    this.#base = options.base ?? { pid: process.pid };
  }

  enabled(level: number): boolean {
    return level <= this.level;
  }

  log(level: number, msg: string, fields?: LogFields): void {
    if (level > this.level) return;
    const record: Record<string, unknown> = {
      time: new Date().toISOString(),
      level: levelName(level),
      ...this.#base,
      msg,
      ...fields,
    };
    try {
      this.#write(safeStringify(record));
    } catch {
      // A broken stderr must not take the server down.
    }
  }

  alert(msg: string, fields?: LogFields): void {
    this.log(LOG_LEVEL.ALERT, msg, fields);
  }
  crit(msg: string, fields?: LogFields): void {
    this.log(LOG_LEVEL.CRIT, msg, fields);
  }
  error(msg: string, fields?: LogFields): void {
    this.log(LOG_LEVEL.ERR, msg, fields);
  }
  warn(msg: string, fields?: LogFields): void {
    this.log(LOG_LEVEL.WARN, msg, fields);
  }
  notice(msg: string, fields?: LogFields): void {
    this.log(LOG_LEVEL.NOTICE, msg, fields);
  }
  info(msg: string, fields?: LogFields): void {
    this.log(LOG_LEVEL.INFO, msg, fields);
  }
  debug(msg: string, fields?: LogFields): void {
    this.log(LOG_LEVEL.DBG, msg, fields);
  }
}

/** Creates a JSON-lines logger (stderr by default). */
export function createLogger(options: LoggerOptions = {}): Logger {
  return new JsonLineLogger(options);
}
