/**
 * Success responses whose result does not change between requests (a
 * `version` string, a command list): the result is written once, and each
 * reply only splices its id in. The bytes are exactly those of
 * `encodeJsonRpcResponse(jsonRpcResult(id, result))`.
 */

import { encodeUtf8 } from '../legacy/text.js';
import { stringifyJson } from './json-stringify.js';
import type { JsonValue } from './json-value.js';
import { JSONRPC_MAX_DATAGRAM_SIZE } from './limits.js';
import { allocateReply } from './reply-bytes.js';
import type { JsonRpcId } from './response.js';

const CLOSE_BRACE = 0x7d;
const QUOTE = 0x22;

/** Longest string id written byte by byte (beyond: one TextEncoder call). */
const SHORT_ID = 64;

/**
 * `{"jsonrpc":"2.0","result":R,"id":` encoded once; {@link encode} adds the
 * id and the closing brace.
 */
export class JsonRpcResultTemplate {
  /** The result the template was made from (the caller's own value, not a copy). */
  readonly result: JsonValue;
  readonly #head: Uint8Array;

  /**
   * @throws {JsonCodecError} `UNENCODABLE` when `result` is not JSON (see
   *   `stringifyJson`).
   */
  constructor(result: JsonValue) {
    this.result = result;
    this.#head = encodeUtf8(`{"jsonrpc":"2.0","result":${stringifyJson(result)},"id":`);
  }

  /** Bytes of the response without its id: the size of the smallest reply. */
  get headLength(): number {
    return this.#head.length;
  }

  /**
   * The response datagram for request `id`, or `null` when it would exceed
   * `maxSize` bytes (default {@link JSONRPC_MAX_DATAGRAM_SIZE}) or the id is
   * a non-finite number: the caller then encodes
   * `jsonRpcResult(id, result)` with `encodeJsonRpcResponse`, which answers
   * those cases. The bytes come from reply-bytes.ts (no backing store of their own).
   */
  encode(id: JsonRpcId, maxSize: number = JSONRPC_MAX_DATAGRAM_SIZE): Uint8Array | null {
    const head = this.#head;
    const at = head.length;
    if (typeof id === 'number') {
      if (!Number.isFinite(id)) return null;
      return this.#withAscii(JSON.stringify(id), maxSize); // -0 is written 0
    }
    if (typeof id === 'bigint') return this.#withAscii(id.toString(), maxSize);
    if (id === null) return this.#withAscii('null', maxSize);
    // A string: quoted as it is when it needs no escape and is ASCII.
    const n = id.length;
    if (n <= SHORT_ID && at + n + 3 <= maxSize) {
      const out = allocateReply(at + n + 3);
      out.set(head);
      out[at] = QUOTE;
      let i = 0;
      for (; i < n; i++) {
        const c = id.charCodeAt(i);
        if (c < 0x20 || c > 0x7e || c === QUOTE || c === 0x5c) break;
        out[at + 1 + i] = c;
      }
      if (i === n) {
        out[at + 1 + n] = QUOTE;
        out[at + 2 + n] = CLOSE_BRACE;
        return out;
      }
    }
    const quoted = encodeUtf8(JSON.stringify(id));
    if (at + quoted.length + 1 > maxSize) return null;
    const out = allocateReply(at + quoted.length + 1);
    out.set(head);
    out.set(quoted, at);
    out[at + quoted.length] = CLOSE_BRACE;
    return out;
  }

  #withAscii(text: string, maxSize: number): Uint8Array | null {
    const head = this.#head;
    const at = head.length;
    const n = text.length;
    if (at + n + 1 > maxSize) return null;
    const out = allocateReply(at + n + 1);
    out.set(head);
    for (let i = 0; i < n; i++) out[at + i] = text.charCodeAt(i);
    out[at + n] = CLOSE_BRACE;
    return out;
  }
}
