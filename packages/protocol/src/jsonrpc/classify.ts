import { isBlank } from '../legacy/bytes.js';

/** Which protocol a received datagram speaks (PROTOCOL.md 4, 5). */
export type DatagramKind = 'empty' | 'jsonrpc' | 'legacy';

/**
 * `'empty'` for a datagram of length 0 (no reply, PROTOCOL.md 4);
 * `'jsonrpc'` when the first byte that is not a blank (space, `\t`, `\n`,
 * `\v`, `\f`, `\r`: the blanks of PROTOCOL.md 2.2) is `{` or `[`;
 * `'legacy'` otherwise, including an all-blank datagram and one starting with
 * a UTF-8 BOM (EF BB BF is not a blank).
 */
export function classifyDatagram(data: Uint8Array): DatagramKind {
  if (data.length === 0) return 'empty';
  for (const c of data) {
    if (isBlank(c)) continue;
    return c === 0x7b || c === 0x5b ? 'jsonrpc' : 'legacy';
  }
  return 'legacy';
}
