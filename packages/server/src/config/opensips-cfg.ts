/**
 * Reads the `modparam("mi_datagram", "NAME", VALUE)` statements of an
 * OpenSIPS configuration and ignores everything else (routes, other
 * modules, comments), so an OpenSIPS user can point the server at the
 * config they already have.
 *
 * Lexical rules followed (OpenSIPS cfg): `#` and `//` comments to the end of
 * the line, `/* … *\/` block comments, strings in double or single quotes
 * with `\"`, `\\`, `\n`, `\r`, `\t` escapes, integers bare. A statement may
 * span lines. Of a repeated parameter the last one wins, as in OpenSIPS.
 */
import { ConfigError } from '../common/index.js';

export interface ModparamValue {
  readonly module: string;
  readonly param: string;
  /** The string's contents, or the bare token's text (`0660`, `2000`). */
  readonly value: string;
  /** Whether the value was a quoted string (else a bare token such as an integer). */
  readonly quoted: boolean;
  /** 1-based line of the statement. */
  readonly line: number;
}

type Token =
  | { kind: 'string'; text: string; line: number }
  | { kind: 'word'; text: string; line: number }
  | { kind: 'punct'; text: string; line: number };

const ESCAPES: Readonly<Record<string, string>> = {
  n: '\n',
  r: '\r',
  t: '\t',
  '\\': '\\',
  '"': '"',
  "'": "'",
};

function tokenize(text: string, fail: (line: number, detail: string) => never): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  const n = text.length;
  while (i < n) {
    const c = text[i] as string;
    if (c === '\n') {
      line++;
      i++;
    } else if (c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v') {
      i++;
    } else if (c === '#' || (c === '/' && text[i + 1] === '/')) {
      while (i < n && text[i] !== '\n') i++;
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      const stop = end === -1 ? n : end + 2;
      for (let j = i; j < stop; j++) if (text[j] === '\n') line++;
      i = stop;
    } else if (c === '"' || c === "'") {
      const startLine = line;
      let out = '';
      i++;
      for (;;) {
        if (i >= n) return fail(startLine, 'unterminated string');
        const d = text[i] as string;
        if (d === c) {
          i++;
          break;
        }
        if (d === '\\' && i + 1 < n) {
          const e = text[i + 1] as string;
          out += ESCAPES[e] ?? `\\${e}`;
          if (e === '\n') line++;
          i += 2;
          continue;
        }
        if (d === '\n') line++;
        out += d;
        i++;
      }
      tokens.push({ kind: 'string', text: out, line: startLine });
    } else if (/[A-Za-z0-9_.$+\-:]/.test(c)) {
      let j = i;
      while (j < n && /[A-Za-z0-9_.$+\-:]/.test(text[j] as string)) j++;
      tokens.push({ kind: 'word', text: text.slice(i, j), line });
      i = j;
    } else {
      tokens.push({ kind: 'punct', text: c, line });
      i++;
    }
  }
  return tokens;
}

/**
 * Every `modparam(...)` statement of the text whose first argument is
 * `module` (default `mi_datagram`). A malformed statement for that module
 * throws {@link ConfigError}; malformed statements of other modules are
 * ignored.
 */
export function readModparams(
  text: string,
  source: string,
  module = 'mi_datagram',
): ModparamValue[] {
  const fail = (line: number, detail: string): never => {
    throw new ConfigError('INVALID_SOURCE', '--opensips-cfg', `${source}:${line}: ${detail}`);
  };
  const tokens = tokenize(text, fail);
  const out: ModparamValue[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as Token;
    if (t.kind !== 'word' || t.text !== 'modparam' || tokens[i + 1]?.text !== '(') continue;
    const mod = tokens[i + 2];
    if (mod?.kind !== 'string' || mod.text !== module) continue;
    const shape = [',', 'string', ',', 'value', ')'];
    const got = tokens.slice(i + 3, i + 8);
    const ok =
      got.length === 5 &&
      got.every((tok, k) => {
        const want = shape[k];
        if (want === 'string') return tok.kind === 'string';
        if (want === 'value') return tok.kind === 'string' || tok.kind === 'word';
        return tok.kind === 'punct' && tok.text === want;
      });
    if (!ok) {
      fail(t.line, `malformed modparam("${module}", ...) statement`);
    }
    const param = got[1] as Token;
    const value = got[3] as Token;
    out.push({
      module,
      param: param.text,
      value: value.text,
      quoted: value.kind === 'string',
      line: t.line,
    });
    i += 7;
  }
  return out;
}
