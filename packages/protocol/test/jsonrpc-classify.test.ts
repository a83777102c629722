import { describe, expect, it } from 'vitest';
import { classifyDatagram } from '../src/index.js';
import { bytes } from './jsonrpc-helpers.js';

// PROTOCOL.md 4: first non-blank byte `{` or `[` → JSON-RPC, else legacy.
const VECTORS: readonly [string, Uint8Array, 'empty' | 'jsonrpc' | 'legacy'][] = [
  ['length 0', bytes(), 'empty'],
  ['object', bytes('{"jsonrpc":"2.0"}'), 'jsonrpc'],
  ['array', bytes('[1]'), 'jsonrpc'],
  ['bare {', bytes('{'), 'jsonrpc'],
  ['bare [', bytes('['), 'jsonrpc'],
  ['leading space', bytes(' {'), 'jsonrpc'],
  ['every blank first', bytes(' \t\n\v\f\r['), 'jsonrpc'],
  ['legacy request', bytes(':uptime:\n'), 'legacy'],
  ['blank then legacy', bytes('\n:uptime:\n'), 'legacy'],
  ['only blanks', bytes(' \t\r\n'), 'legacy'],
  ['NUL then {', bytes([0], '{'), 'legacy'],
  ['BOM then {', bytes([0xef, 0xbb, 0xbf], '{}'), 'legacy'],
  ['NBSP then {', bytes([0xc2, 0xa0], '{}'), 'legacy'],
  ['0x85 then {', bytes([0x85], '{}'), 'legacy'],
  ['quote', bytes('"x"'), 'legacy'],
  ['closing brace', bytes('}'), 'legacy'],
];

describe('classifyDatagram', () => {
  it.each(VECTORS)('%s', (_name, data, expected) => {
    expect(classifyDatagram(data)).toBe(expected);
  });
});
