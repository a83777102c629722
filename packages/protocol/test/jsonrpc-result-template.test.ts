/**
 * JsonRpcResultTemplate: the id spliced into a pre-encoded result gives the
 * same bytes as encoding the whole response.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  encodeJsonRpcResponse,
  type JsonRpcId,
  JsonRpcResultTemplate,
  type JsonValue,
  jsonRpcResult,
} from '../src/index.js';
import { allocateReply, encodeReplyText } from '../src/jsonrpc/reply-bytes.js';
import { responseJson } from './jsonrpc-helpers.js';

const id: fc.Arbitrary<JsonRpcId> = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }),
  fc.constant(null),
  fc.string({ maxLength: 80 }),
  fc.string({ unit: 'binary', maxLength: 8 }),
  fc.string({
    unit: fc.constantFrom('a', '"', '\\', '\u0000', '\u007f', 'é', '\ud800', '😀'),
    maxLength: 8,
  }),
  fc.constantFrom(-0, Number.NaN, Number.POSITIVE_INFINITY, 'x'.repeat(70), 'é'.repeat(70)),
);
const result: fc.Arbitrary<JsonValue> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<JsonValue>,
  fc.constantFrom<JsonValue>('OK', { Server: 'mi-datagram (1.0.0 (x86_64/linux))' }, ['a', 'b']),
);

describe('JsonRpcResultTemplate', () => {
  test.prop([result, id, fc.constantFrom(256, 300, 1000, 65457)], { numRuns: 2000 })(
    'encode(id) is the encoding of the whole response, or null when that would not be a result',
    (value, requestId, maxSize) => {
      const template = new JsonRpcResultTemplate(value);
      const fast = template.encode(requestId, maxSize);
      const full = encodeJsonRpcResponse(jsonRpcResult(requestId, value), { maxSize });
      if (fast !== null) {
        expect(Array.from(fast)).toEqual(Array.from(full ?? []));
      } else {
        // Too large for maxSize, or an id that is not JSON: the full encoder answers with an error.
        expect(responseJson(full)).toHaveProperty('error');
      }
    },
  );

  it('splices numbers, strings, big integers and null', () => {
    const template = new JsonRpcResultTemplate({ Server: 'x' });
    const text = (i: JsonRpcId) => new TextDecoder().decode(template.encode(i) ?? new Uint8Array());
    expect(text(7)).toBe('{"jsonrpc":"2.0","result":{"Server":"x"},"id":7}');
    expect(text('a"b')).toBe('{"jsonrpc":"2.0","result":{"Server":"x"},"id":"a\\"b"}');
    expect(text(18446744073709551616n)).toBe(
      '{"jsonrpc":"2.0","result":{"Server":"x"},"id":18446744073709551616}',
    );
    expect(text(null)).toBe('{"jsonrpc":"2.0","result":{"Server":"x"},"id":null}');
    expect(template.encode(Number.NaN)).toBeNull();
    expect(template.encode('x'.repeat(300), 256)).toBeNull();
  });

  it('refuses a result that is not JSON', () => {
    expect(() => new JsonRpcResultTemplate(Number.NaN)).toThrow(/not JSON/);
  });
});

describe('reply bytes from shared slabs', () => {
  it('every reply has bytes of its own, across slab boundaries', () => {
    const replies: Uint8Array[] = [];
    for (let i = 0; i < 2000; i++) {
      const size = 1 + (i % 300);
      const bytes = i % 2 === 0 ? allocateReply(size) : encodeReplyText('é'.repeat(size));
      bytes.fill(i & 0xff);
      replies.push(bytes);
    }
    replies.forEach((bytes, i) => {
      expect(bytes.every((b) => b === (i & 0xff))).toBe(true);
    });
    expect(Array.from(encodeReplyText('a\ud800b'))).toEqual([0x61, 0xef, 0xbf, 0xbd, 0x62]);
    expect(encodeReplyText('x'.repeat(5000)).length).toBe(5000);
    expect(allocateReply(5000).length).toBe(5000);
  });
});
