/**
 * IPv4/IPv6 addresses and CIDR blocks for the UDP allowlist (`allow_from`),
 * parsed and matched here without allocating per address.
 *
 * Every address is handled as 128 bits (four int32 words). An IPv4 address
 * a.b.c.d is the IPv4-mapped IPv6 address `::ffff:a.b.c.d`, and an IPv4 block
 * `a.b.c.d/n` is `::ffff:a.b.c.d/(96+n)`, so `10.0.0.0/8` matches a datagram
 * from `10.1.2.3` and from `::ffff:10.1.2.3` alike, and `::ffff:0:0/96`
 * matches every IPv4 source.
 */

/** Scratch words for the address being matched (single-threaded, never escapes). */
const SCRATCH = new Int32Array(4);
/** Scratch 16-bit groups for the IPv6 parser. */
const GROUPS = new Int32Array(8);

/**
 * Dotted-quad IPv4 between `start` and `end` of `s`: the 32-bit value (as a
 * non-negative number), or -1. Strict: four decimal octets 0-255 without
 * leading zeros (`010` would be octal to some parsers: refused).
 */
function parseIPv4(s: string, start: number, end: number): number {
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (digits > 0 && octet === 0) return -1;
      octet = octet * 10 + (c - 48);
      digits++;
      if (octet > 255) return -1;
    } else if (c === 46) {
      if (digits === 0 || dots === 3) return -1;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else {
      return -1;
    }
  }
  if (digits === 0 || dots !== 3) return -1;
  return value * 256 + octet;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/**
 * IPv6 text between `start` and `end` (`::` compression, embedded IPv4 at
 * the end, a `%zone` suffix ignored) into `out`. False when it is not one.
 */
function parseIPv6(s: string, start: number, end: number, out: Int32Array): boolean {
  let e = end;
  for (let i = start; i < end; i++) {
    if (s.charCodeAt(i) === 37 /* % */) {
      e = i;
      break;
    }
  }
  if (e === start) return false;
  let n = 0;
  let gap = -1;
  let i = start;
  if (s.charCodeAt(i) === 58 /* : */) {
    if (e - i < 2 || s.charCodeAt(i + 1) !== 58) return false;
    gap = 0;
    i += 2;
  }
  while (i < e) {
    if (n === 8) return false;
    let j = i;
    let v = 0;
    while (j < e) {
      const h = hexValue(s.charCodeAt(j));
      if (h < 0) break;
      v = v * 16 + h;
      j++;
      if (j - i > 4) return false;
    }
    if (j < e && s.charCodeAt(j) === 46 /* . */) {
      if (n > 6) return false;
      const v4 = parseIPv4(s, i, e);
      if (v4 < 0) return false;
      GROUPS[n++] = Math.floor(v4 / 65536);
      GROUPS[n++] = v4 & 0xffff;
      i = e;
      break;
    }
    if (j === i) return false;
    GROUPS[n++] = v;
    if (j === e) {
      i = j;
      break;
    }
    if (s.charCodeAt(j) !== 58) return false;
    j++;
    if (j < e && s.charCodeAt(j) === 58) {
      if (gap >= 0) return false;
      gap = n;
      j++;
    } else if (j === e) {
      return false;
    }
    i = j;
  }
  if (gap < 0) {
    if (n !== 8) return false;
  } else {
    if (n === 8) return false;
    const moved = n - gap;
    for (let k = 0; k < moved; k++) GROUPS[7 - k] = GROUPS[n - 1 - k] as number;
    for (let k = gap; k < 8 - moved; k++) GROUPS[k] = 0;
  }
  for (let w = 0; w < 4; w++) {
    out[w] = ((GROUPS[2 * w] as number) << 16) | (GROUPS[2 * w + 1] as number);
  }
  return true;
}

/**
 * Parses an IPv4 or IPv6 address (no brackets, no prefix) into `out` as 128
 * bits, IPv4 as IPv4-mapped IPv6. Returns 4 or 6 (the text's family), or 0
 * when `text` is not an address. Allocates nothing.
 */
export function parseAddressInto(text: string, out: Int32Array): 0 | 4 | 6 {
  return parseRange(text, 0, text.length, out);
}

function parseRange(text: string, start: number, end: number, out: Int32Array): 0 | 4 | 6 {
  const v4 = parseIPv4(text, start, end);
  if (v4 >= 0) {
    out[0] = 0;
    out[1] = 0;
    out[2] = 0xffff;
    out[3] = v4 | 0;
    return 4;
  }
  return parseIPv6(text, start, end, out) ? 6 : 0;
}

/** True when `text` is an IPv4 or IPv6 address literal. */
export function isIpAddress(text: string): boolean {
  return parseAddressInto(text, SCRATCH) !== 0;
}

/** Mask word `w` (0..3) of a 128-bit prefix of `bits`. */
function maskWord(bits: number, w: number): number {
  const b = Math.min(32, Math.max(0, bits - 32 * w));
  return b === 0 ? 0 : b === 32 ? -1 : -1 << (32 - b);
}

/** A parsed CIDR block. */
export interface Cidr {
  /** Normalised text: the input with its prefix made explicit (`127.0.0.1` → `127.0.0.1/32`). */
  readonly text: string;
  /** Prefix length over 128 bits (IPv4 /n is 96+n). */
  readonly prefix128: number;
  readonly network: readonly [number, number, number, number];
  readonly mask: readonly [number, number, number, number];
}

/**
 * Parses `ADDRESS[/PREFIX]` (IPv4 0-32, IPv6 0-128; without a prefix the
 * block is the single address). Returns the block or, when invalid, a
 * one-line reason. Host bits set (`10.0.0.1/8`) are refused: they usually
 * mean a typo, and the intended block is named in the reason.
 */
export function parseCidr(input: string): Cidr | string {
  const text = input.trim();
  if (text.length === 0) return 'empty';
  const slash = text.indexOf('/');
  const addrEnd = slash < 0 ? text.length : slash;
  const words = new Int32Array(4);
  const family = parseRange(text, 0, addrEnd, words);
  if (family === 0) return `not an IPv4 or IPv6 address: ${JSON.stringify(text.slice(0, addrEnd))}`;
  const max = family === 4 ? 32 : 128;
  let prefix = max;
  if (slash >= 0) {
    const p = text.slice(slash + 1);
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p) || Number(p) > max) {
      return `prefix length must be 0-${max}: ${JSON.stringify(text)}`;
    }
    prefix = Number(p);
  }
  const prefix128 = family === 4 ? 96 + prefix : prefix;
  const mask = [0, 1, 2, 3].map((w) => maskWord(prefix128, w)) as [number, number, number, number];
  const network = [0, 1, 2, 3].map((w) => (words[w] as number) & (mask[w] as number)) as [
    number,
    number,
    number,
    number,
  ];
  if (network.some((v, w) => v !== words[w])) {
    return `host bits set in ${JSON.stringify(text)} (the block is ${formatNetwork(network, family, prefix)})`;
  }
  return {
    text: `${text.slice(0, addrEnd)}/${prefix}`,
    prefix128,
    network,
    mask,
  };
}

function formatNetwork(
  words: readonly [number, number, number, number],
  family: 4 | 6,
  prefix: number,
): string {
  if (family === 4) {
    const v = words[3] >>> 0;
    return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}/${prefix}`;
  }
  const groups: string[] = [];
  for (const w of words) groups.push(((w >>> 16) & 0xffff).toString(16), (w & 0xffff).toString(16));
  return `${groups.join(':')}/${prefix}`;
}

/** The allowlist default of loopback UDP binds. */
export const LOOPBACK_CIDRS: readonly string[] = Object.freeze(['127.0.0.0/8', '::1/128']);

/**
 * A compiled list of CIDR blocks. {@link CidrList.matches} parses the peer
 * address into scratch words and compares it with each block: no allocation.
 */
export class CidrList {
  readonly blocks: readonly Cidr[];
  readonly #net: Int32Array;
  readonly #mask: Int32Array;
  readonly #count: number;

  /** Throws a TypeError naming the first invalid block. */
  constructor(blocks: readonly string[]) {
    const parsed: Cidr[] = [];
    for (const b of blocks) {
      const c = parseCidr(b);
      if (typeof c === 'string') throw new TypeError(`invalid CIDR block: ${c}`);
      parsed.push(c);
    }
    this.blocks = parsed;
    this.#count = parsed.length;
    this.#net = new Int32Array(4 * parsed.length);
    this.#mask = new Int32Array(4 * parsed.length);
    parsed.forEach((c, i) => {
      for (let w = 0; w < 4; w++) {
        this.#net[4 * i + w] = c.network[w] as number;
        this.#mask[4 * i + w] = c.mask[w] as number;
      }
    });
  }

  /** True when `address` (an IP literal as Node reports peers) is inside one of the blocks. */
  matches(address: string): boolean {
    if (parseRange(address, 0, address.length, SCRATCH) === 0) return false;
    const a0 = SCRATCH[0] as number;
    const a1 = SCRATCH[1] as number;
    const a2 = SCRATCH[2] as number;
    const a3 = SCRATCH[3] as number;
    const net = this.#net;
    const mask = this.#mask;
    for (let i = 0, k = 0; i < this.#count; i++, k += 4) {
      if (
        (a3 & (mask[k + 3] as number)) === net[k + 3] &&
        (a2 & (mask[k + 2] as number)) === net[k + 2] &&
        (a1 & (mask[k + 1] as number)) === net[k + 1] &&
        (a0 & (mask[k] as number)) === net[k]
      ) {
        return true;
      }
    }
    return false;
  }
}

/**
 * True when a UDP bind host is a loopback address: `127.0.0.0/8`, `::1`,
 * `::ffff:127.x.y.z`, or the name `localhost` (RFC 6761; whatever it
 * resolves to, the loopback-only default allowlist keeps other sources out).
 */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  const words = new Int32Array(4);
  if (parseRange(h, 0, h.length, words) === 0) return false;
  if (words[0] === 0 && words[1] === 0 && words[2] === 0xffff)
    return (words[3] as number) >>> 24 === 127;
  return words[0] === 0 && words[1] === 0 && words[2] === 0 && words[3] === 1;
}
