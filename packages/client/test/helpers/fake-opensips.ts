/**
 * Fake OpenSIPS 2.4 and 3.6 servers on real UNIX sockets that answer with the reply datagrams
 * recorded from the real ones (../shared/conformance), byte for byte.
 */
import { isDeepStrictEqual } from 'node:util';
import { answerWith, type FakeUnixServer, fakeUnixServer } from './fake-unix.js';
import {
  loadRecordedExchanges,
  RECORDED_REPLIES,
  RECORDED_REPLIES_36,
  type RecordedExchange,
} from './recorded.js';

export const exchanges24 = loadRecordedExchanges(RECORDED_REPLIES);
export const exchanges36 = loadRecordedExchanges(RECORDED_REPLIES_36);

/** OpenSIPS 2.4: the recorded reply to exactly these request bytes, else `500 command not available`. */
export function answer24(request: Buffer): Buffer {
  const found = exchanges24.find((e) => e.request.equals(request));
  return found?.reply ?? Buffer.from('500 command not available\n');
}

interface JsonRequest {
  readonly method?: unknown;
  readonly params?: unknown;
  readonly id?: unknown;
}

function jsonOf(bytes: Buffer): JsonRequest | undefined {
  try {
    const value: unknown = JSON.parse(bytes.toString('utf8'));
    return typeof value === 'object' && value !== null ? (value as JsonRequest) : undefined;
  } catch {
    return undefined;
  }
}

/** OpenSIPS 3 reads a numeric string where it wants an integer (`"3"` for `3`): match them alike. */
function scalarsAsText(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(scalarsAsText);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scalarsAsText(v)]));
  }
  return typeof value === 'number' ? String(value) : value;
}

/**
 * OpenSIPS 3.6: anything that is not JSON → `400 Parse_error` (no newline, as recorded); a JSON
 * request → the recorded reply to the request with the same method and params, with the id
 * replaced by the request's; none recorded → -32601.
 */
export function answer36(request: Buffer): Buffer {
  const asked = jsonOf(request);
  if (asked === undefined) return Buffer.from('400 Parse_error');
  const found = exchanges36.find((e: RecordedExchange) => {
    const recorded = jsonOf(e.request);
    return (
      recorded !== undefined &&
      recorded.id !== undefined &&
      recorded.method === asked.method &&
      isDeepStrictEqual(scalarsAsText(recorded.params), scalarsAsText(asked.params))
    );
  });
  const id = JSON.stringify(asked.id ?? null);
  if (found === undefined) {
    return Buffer.from(
      `{"jsonrpc":"2.0","error":{"code":-32601,"message":"Method not found"},"id":${id}}`,
    );
  }
  return Buffer.from(found.reply.toString('latin1').replace(/"id":1}$/, `"id":${id}}`), 'latin1');
}

export function fakeOpenSips(
  dir: string,
  version: '2.4' | '3.6',
  name = `opensips-${version}.sock`,
): Promise<FakeUnixServer> {
  const answer = version === '2.4' ? answer24 : answer36;
  return fakeUnixServer(
    dir,
    (request, peer, server) => answerWith(server, peer, answer(request)),
    name,
  );
}
