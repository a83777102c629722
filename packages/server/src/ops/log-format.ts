/**
 * The two shapes of a log line: JSON (one object per line, for collectors) and text (for a
 * person at a terminal): `2026-12-02T17:40:00.123Z NOTICE listening pid=42 sockets=["/run/mi.sock"]`.
 */

/** `text` for a person, `json` for a machine. */
export type LogFormat = 'text' | 'json';

export const LOG_FORMATS: readonly LogFormat[] = ['text', 'json'];

/** The environment variable that picks the format when `--log-format` is not given. */
export const LOG_FORMAT_ENV = 'MI_DATAGRAM_LOG_FORMAT';

export function isLogFormat(value: unknown): value is LogFormat {
  return value === 'text' || value === 'json';
}

/**
 * The format to use: the one asked for, else `$MI_DATAGRAM_LOG_FORMAT`, else text when stderr is
 * a terminal and JSON otherwise (a file, a pipe, the journal).
 */
export function chooseLogFormat(
  asked: LogFormat | null,
  env: Readonly<Record<string, string | undefined>>,
  stderrIsTty: boolean,
): LogFormat {
  if (asked !== null) return asked;
  const fromEnv = env[LOG_FORMAT_ENV];
  if (isLogFormat(fromEnv)) return fromEnv;
  return stderrIsTty ? 'text' : 'json';
}

function textValue(value: unknown, json: (value: unknown) => string): string {
  if (typeof value === 'string') {
    return /^[^\s"=\\\u0000-\u001f\u007f]+$/.test(value) ? value : JSON.stringify(value);
  }
  return json(value);
}

/**
 * A record (`time`, `level`, `msg`, then fields) as one line of text. Field values that are not
 * plain words are JSON (strings quoted, objects and errors as JSON); no newline inside the line.
 */
export function formatTextLine(
  record: Readonly<Record<string, unknown>>,
  json: (value: unknown) => string,
): string {
  const { time, level, msg, ...fields } = record;
  let line = `${String(time)} ${String(level).toUpperCase()} ${String(msg).replace(/[\r\n]+/g, ' ')}`;
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    line += ` ${key}=${textValue(value, json)}`;
  }
  return line;
}
