/** `socket_name` values (PROTOCOL.md 1): `udp:HOST:PORT` or a UNIX socket path. */

import { MiProtocolError } from './errors.js';

/**
 * A parsed `socket_name`. `family`: 4 for an IPv4 literal, 6 for an IPv6
 * literal (written in brackets), 0 for a host name to resolve.
 */
export type SocketName =
  | { readonly kind: 'unix'; readonly path: string }
  | {
      readonly kind: 'udp';
      readonly host: string;
      readonly port: number;
      readonly family: 4 | 6 | 0;
    };

function invalid(message: string): MiProtocolError {
  return new MiProtocolError('INVALID_SOCKET_NAME', message);
}

/** Dotted quad, each part 0..255 in decimal without leading zeros. */
function isIPv4(s: string): boolean {
  const parts = s.split('.');
  if (parts.length !== 4) return false;
  for (const part of parts) {
    if (part.length === 0 || part.length > 3) return false;
    for (let i = 0; i < part.length; i++) {
      const c = part.charCodeAt(i);
      if (c < 0x30 || c > 0x39) return false;
    }
    if (part.length > 1 && part.charCodeAt(0) === 0x30) return false;
    if (Number(part) > 255) return false;
  }
  return true;
}

function isHexGroup(g: string): boolean {
  if (g.length === 0 || g.length > 4) return false;
  for (let i = 0; i < g.length; i++) {
    const c = g.charCodeAt(i) | 0x20; // ASCII lower-case
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) return false;
  }
  return true;
}

/** RFC 4291 text form, optional trailing dotted quad, optional `%zone`. */
function isIPv6(s: string): boolean {
  let addr = s;
  const pct = s.indexOf('%');
  if (pct >= 0) {
    const zone = s.slice(pct + 1);
    if (zone.length === 0 || !/^[A-Za-z0-9_.-]+$/.test(zone)) return false;
    addr = s.slice(0, pct);
  }
  const halves = addr.split('::');
  if (halves.length > 2) return false;
  const groupsOf = (h: string): string[] => (h === '' ? [] : h.split(':'));
  const head = groupsOf(halves[0]!);
  const tail = halves.length === 2 ? groupsOf(halves[1]!) : [];
  const all = [...head, ...tail];
  let count = all.length;
  const last = all[all.length - 1];
  if (last?.includes('.')) {
    if (!isIPv4(last)) return false;
    all.pop();
    count++; // a dotted quad fills two groups
  }
  if (!all.every(isHexGroup)) return false;
  return halves.length === 2 ? count <= 7 : count === 8;
}

/** Letters, digits, `-`, `_`, `.`; not all digits and dots (that is a bad IPv4). */
function isHostName(s: string): boolean {
  return s.length <= 253 && /^[A-Za-z0-9_.-]+$/.test(s) && !/^[0-9.]+$/.test(s);
}

/**
 * Parses a `socket_name` (PROTOCOL.md 1). A value starting with `udp:` is
 * `udp:HOST:PORT`: the port is the text after the LAST colon (decimal,
 * 0..65535; 0 asks for an ephemeral port; the original's 1024 floor is the
 * server's warning, not a parse error); HOST is an IPv4 literal, an IPv6
 * literal in brackets (also accepted bare, e.g. `udp:::1:8080`) or a host
 * name. Anything else is the path of a UNIX datagram socket.
 *
 * @throws {MiProtocolError} `INVALID_SOCKET_NAME`: empty, a path containing
 *   NUL, a missing/non-decimal/out-of-range port, an empty or malformed host.
 */
export function parseSocketName(socketName: string): SocketName {
  if (typeof socketName !== 'string') throw invalid('socket_name must be a string');
  if (!socketName.startsWith('udp:')) {
    if (socketName.length === 0) throw invalid('empty socket_name');
    if (socketName.includes('\0')) throw invalid('socket path contains a NUL byte');
    return { kind: 'unix', path: socketName };
  }
  const rest = socketName.slice(4);
  const colon = rest.lastIndexOf(':');
  if (colon < 0) throw invalid(`"${socketName}": expected udp:HOST:PORT`);
  const portText = rest.slice(colon + 1);
  if (!/^[0-9]{1,5}$/.test(portText)) throw invalid(`"${socketName}": port must be decimal`);
  const port = Number(portText);
  if (port > 65535) throw invalid(`"${socketName}": port must be 0..65535`);
  let host = rest.slice(0, colon);
  if (host.startsWith('[') && host.endsWith(']')) {
    host = host.slice(1, -1);
    if (!isIPv6(host)) throw invalid(`"${socketName}": bad IPv6 address in brackets`);
    return { kind: 'udp', host, port, family: 6 };
  }
  if (host.length === 0) throw invalid(`"${socketName}": empty host`);
  if (isIPv4(host)) return { kind: 'udp', host, port, family: 4 };
  if (isIPv6(host)) return { kind: 'udp', host, port, family: 6 };
  if (isHostName(host)) return { kind: 'udp', host, port, family: 0 };
  throw invalid(`"${socketName}": bad host`);
}

/**
 * The inverse of {@link parseSocketName}: `udp:HOST:PORT` (IPv6 in brackets)
 * or the path. `parseSocketName(formatSocketName(x))` equals `x`.
 *
 * @throws {MiProtocolError} `INVALID_SOCKET_NAME` when `name` is not something
 *   {@link parseSocketName} would return (e.g. a path starting with `udp:`, a
 *   family that does not match the host, a bad port).
 */
export function formatSocketName(name: SocketName): string {
  let text: string;
  if (name.kind === 'unix') {
    text = name.path;
  } else if (name.kind === 'udp') {
    const host = name.family === 6 ? `[${name.host}]` : name.host;
    text = `udp:${host}:${String(name.port)}`;
  } else {
    throw invalid('unknown socket kind');
  }
  const back = parseSocketName(text);
  const same =
    back.kind === 'unix'
      ? name.kind === 'unix' && back.path === name.path
      : name.kind === 'udp' &&
        back.host === name.host &&
        back.port === name.port &&
        back.family === name.family;
  if (!same) throw invalid(`${JSON.stringify(name)} cannot be written as a socket_name`);
  return text;
}
