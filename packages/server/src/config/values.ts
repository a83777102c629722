/**
 * The value parsers every parameter check shares: integers in a range,
 * levels, CIDR lists, booleans, user/group names, and the error they throw.
 */
import { parseCidr } from '../access/index.js';
import { COMMAND_LEVELS, type CommandLevel, ConfigError } from '../common/index.js';

export function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null)
    return String(value);
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}

export function bad(param: string, source: string, detail: string): ConfigError {
  return new ConfigError('INVALID_PARAMETER', param, `invalid ${param} (${source}): ${detail}`);
}

export function integer(
  param: string,
  source: string,
  value: unknown,
  min: number,
  max: number,
  unit = '',
): number {
  let n: number;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string' && /^\s*[+-]?[0-9]+\s*$/.test(value)) n = Number(value);
  else throw bad(param, source, `expected an integer${unit}, got ${show(value)}`);
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw bad(param, source, `expected an integer${unit} in ${min}..${max}, got ${show(value)}`);
  }
  return n;
}

export function owner(param: string, source: string, value: unknown): string {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0 || value > 0xfffffffe) {
      throw bad(param, source, `expected a name or a numeric id, got ${show(value)}`);
    }
    return String(value);
  }
  if (typeof value !== 'string' || value.length === 0 || /[\0\n\r:]/.test(value)) {
    throw bad(param, source, `expected a user/group name or a numeric id, got ${show(value)}`);
  }
  return value;
}

export function parseLevel(param: string, source: string, value: unknown): CommandLevel {
  if (typeof value !== 'string' || !(COMMAND_LEVELS as readonly string[]).includes(value)) {
    throw bad(param, source, `expected one of ${COMMAND_LEVELS.join(', ')}, got ${show(value)}`);
  }
  return value as CommandLevel;
}

/** CIDR blocks, normalised (`10.0.0.0/8`, `::1/128`). */
export function parseAllowFrom(param: string, source: string, value: unknown): string[] {
  const list: unknown[] = Array.isArray(value) ? value : [value];
  if (list.length === 0) {
    throw bad(param, source, 'empty list (to serve no source at all, do not listen)');
  }
  return list.map((item) => {
    if (typeof item !== 'string') {
      throw bad(param, source, `expected CIDR blocks (strings), got ${show(item)}`);
    }
    const cidr = parseCidr(item);
    if (typeof cidr === 'string') throw bad(param, source, cidr);
    return cidr.text;
  });
}

export function parseBoolean(param: string, source: string, value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === 'false') return value === 'true';
  throw bad(param, source, `expected true or false, got ${show(value)}`);
}
