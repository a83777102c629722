/** Byte values the legacy grammar cares about. */
export const NL = 0x0a;
export const QUOTE = 0x22;
export const COLON = 0x3a;
export const BACKSLASH = 0x5c;
export const SPACE = 0x20;

/**
 * The blanks of PROTOCOL.md 2.2: C `isspace()` in the C locale, i.e. space,
 * `\t`, `\n`, `\v`, `\f`, `\r`. Nothing else (not NUL, NBSP 0xA0 or NEL 0x85).
 */
export function isBlank(c: number): boolean {
  return c === SPACE || (c >= 0x09 && c <= 0x0d);
}
