import { BlockList, isIP } from 'node:net';
import { invalidArgument, lookupError } from './errors.js';

/**
 * The other end of a UDP exchange: who sent a datagram, or where a reply goes.
 * Received datagrams carry Node's own `rinfo` object as their peer (it has
 * these fields and a `size`), so no object is built per datagram.
 */
export interface UdpPeer {
  /** IP literal, without brackets (`127.0.0.1`, `::1`). */
  readonly address: string;
  readonly port: number;
  readonly family: 'IPv4' | 'IPv6';
}

export type UdpFamily = 'IPv4' | 'IPv6';

/** Result of a host name lookup: one address and its family. */
export interface UdpLookupResult {
  readonly address: string;
  readonly family: number;
}

/** Resolves a host name to one address (of `family` when given). */
export type UdpLookup = (hostname: string, family?: 4 | 6) => Promise<UdpLookupResult>;

export function familyName(family: 4 | 6): UdpFamily {
  return family === 4 ? 'IPv4' : 'IPv6';
}

/** `udp:127.0.0.1:8080` / `udp:[::1]:8080` (the `socket_name` form, PROTOCOL.md 1). */
export function formatUdpAddress(address: string, port: number, family: UdpFamily): string {
  return family === 'IPv6' ? `udp:[${address}]:${port}` : `udp:${address}:${port}`;
}

/** Checks a host argument and removes the brackets of an `[IPv6]` literal. */
export function normalizeHost(host: unknown): string {
  if (typeof host !== 'string' || host.length === 0) {
    throw invalidArgument('host must be a non-empty string');
  }
  if (host.startsWith('[') && host.endsWith(']')) {
    const inner = host.slice(1, -1);
    if (isIP(inner) !== 6)
      throw invalidArgument(`host ${JSON.stringify(host)}: brackets hold no IPv6 literal`);
    return inner;
  }
  return host;
}

export function checkPort(port: unknown, allowZero: boolean): number {
  if (
    typeof port !== 'number' ||
    !Number.isInteger(port) ||
    port < (allowZero ? 0 : 1) ||
    port > 65535
  ) {
    throw invalidArgument(
      `port must be an integer from ${allowZero ? 0 : 1} to 65535, got ${String(port)}`,
    );
  }
  return port;
}

const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

/** 127.0.0.0/8 or ::1 (in any spelling). */
export function isLoopbackAddress(address: string, family: 4 | 6): boolean {
  return loopback.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

// node:dns is loaded for the first host name only: literal addresses never need it.
const defaultLookup: UdpLookup = async (hostname, family) => {
  const { promises: dns } = await import('node:dns');
  return dns.lookup(hostname, family === undefined ? {} : { family });
};

export function checkFamily(family: unknown): 4 | 6 | undefined {
  if (family === undefined || family === 4 || family === 6) return family;
  throw invalidArgument(`family must be 4 or 6, got ${String(family)}`);
}

/**
 * Resolves `host` (an IP literal, with or without brackets, or a host name)
 * to one address, of `family` if given. Throws `INVALID_ARGUMENT` (bad host,
 * or a literal of the other family) or `HOST_NOT_FOUND`.
 */
export async function resolveHost(
  host: unknown,
  lookup: UdpLookup | undefined,
  family?: 4 | 6,
): Promise<{ address: string; family: 4 | 6 }> {
  const name = normalizeHost(host);
  const literal = isIP(name);
  if (literal === 4 || literal === 6) {
    if (family !== undefined && family !== literal) {
      throw invalidArgument(`host ${name} is an IPv${literal} address, IPv${family} was asked for`);
    }
    return { address: name, family: literal };
  }
  let result: UdpLookupResult;
  try {
    result = await (lookup ?? defaultLookup)(name, family);
  } catch (error) {
    throw lookupError(error, name);
  }
  const found = typeof result?.address === 'string' ? isIP(result.address) : 0;
  if (found !== 4 && found !== 6) {
    throw lookupError(new Error(`lookup returned no IP address`), name);
  }
  if (family !== undefined && found !== family) {
    throw lookupError(new Error(`no IPv${family} address (got ${result.address})`), name);
  }
  return { address: result.address, family: found };
}

/**
 * Resolves `host` and `port` to the {@link UdpPeer} a client sends its request
 * to (host names are resolved once here, never per datagram).
 */
export async function resolveUdpPeer(
  host: string,
  port: number,
  options: { readonly family?: 4 | 6; readonly lookup?: UdpLookup } = {},
): Promise<UdpPeer> {
  checkPort(port, false);
  const { address, family } = await resolveHost(host, options.lookup, checkFamily(options.family));
  return { address, port, family: familyName(family) };
}
