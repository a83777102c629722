/**
 * Client side of JSON-RPC 2.0 over the datagram socket (PROTOCOL.md 5): one request object per
 * datagram, one response object back. Errors the server sends are returned as values.
 */

/** `id` of a JSON-RPC message. */
export type JsonRpcId = string | number | null;

/** Positional (array) or named (object) parameters. */
export type JsonRpcParams = readonly unknown[] | Readonly<Record<string, unknown>>;

/** The `error` member of a JSON-RPC error response. */
export interface JsonRpcErrorObject {
  /** JSON-RPC code (-32700 … -32000), or the MI status code of a command's own failure. */
  readonly code: number;
  readonly message: string;
  /** Present only when the server sent it. */
  readonly data?: unknown;
}

/** A JSON-RPC response: `ok: true` with `result`, or `ok: false` with `error` (data, not a throw). */
export type MiJsonRpcReply =
  | {
      readonly protocol: 'jsonrpc';
      readonly ok: true;
      readonly id: JsonRpcId;
      readonly result: unknown;
      /** The datagram as received. */
      readonly raw: Uint8Array;
    }
  | {
      readonly protocol: 'jsonrpc';
      readonly ok: false;
      readonly id: JsonRpcId;
      readonly error: JsonRpcErrorObject;
      /**
       * `true` when the server answered with a plain text status line instead of JSON, as
       * OpenSIPS 3.x does for unparseable requests and internal failures (`400 Parse_error`).
       */
      readonly textLine: boolean;
      readonly raw: Uint8Array;
    };

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: false });

/** Encodes one request object. Throws `TypeError` for params that are not an array or object. */
export function encodeJsonRpcRequest(
  method: string,
  params: JsonRpcParams | undefined,
  id: JsonRpcId,
): Uint8Array {
  if (params !== undefined && (typeof params !== 'object' || params === null)) {
    throw new TypeError('JSON-RPC params must be an array or an object');
  }
  const message =
    params === undefined ? { jsonrpc: '2.0', method, id } : { jsonrpc: '2.0', method, params, id };
  return encoder.encode(JSON.stringify(message));
}

/** Why a datagram is not a response to our request. */
export type JsonRpcParseOutcome =
  | { readonly kind: 'reply'; readonly reply: MiJsonRpcReply }
  /** A well-formed response carrying another id: not ours, ignore it. */
  | { readonly kind: 'foreign' }
  | { readonly kind: 'invalid'; readonly reason: string };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isId(value: unknown): value is JsonRpcId {
  return value === null || typeof value === 'string' || typeof value === 'number';
}

const TEXT_LINE = /^(\d{3}) ([^\n]*)\n*$/;

/**
 * Reads a datagram received for the request with id `expectedId`. A response with `id: null`
 * is accepted (a server that could not read our id answers so, JSON-RPC 2.0 section 5).
 */
export function parseJsonRpcResponse(
  bytes: Uint8Array,
  expectedId: JsonRpcId,
): JsonRpcParseOutcome {
  const text = decoder.decode(bytes);
  const line = TEXT_LINE.exec(text);
  if (line !== null) {
    // PROTOCOL.md 5: OpenSIPS 3.x answers some failures with a plain text line.
    return {
      kind: 'reply',
      reply: {
        protocol: 'jsonrpc',
        ok: false,
        id: null,
        error: { code: Number(line[1]), message: line[2] ?? '' },
        textLine: true,
        raw: bytes,
      },
    };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { kind: 'invalid', reason: 'not JSON' };
  }
  if (!isRecord(value)) return { kind: 'invalid', reason: 'not a JSON-RPC response object' };
  if (value.jsonrpc !== '2.0') return { kind: 'invalid', reason: 'jsonrpc is not "2.0"' };
  const id = value.id;
  if (!isId(id)) return { kind: 'invalid', reason: 'bad id' };
  if (id !== null && id !== expectedId) return { kind: 'foreign' };
  const hasResult = Object.hasOwn(value, 'result');
  const hasError = Object.hasOwn(value, 'error');
  if (hasResult === hasError) {
    return { kind: 'invalid', reason: 'a response has exactly one of result and error' };
  }
  if (hasResult) {
    return {
      kind: 'reply',
      reply: { protocol: 'jsonrpc', ok: true, id, result: value.result, raw: bytes },
    };
  }
  const error = value.error;
  if (!isRecord(error) || typeof error.code !== 'number' || !Number.isInteger(error.code)) {
    return { kind: 'invalid', reason: 'error.code is not an integer' };
  }
  if (typeof error.message !== 'string') {
    return { kind: 'invalid', reason: 'error.message is not a string' };
  }
  const errorObject: JsonRpcErrorObject = Object.hasOwn(error, 'data')
    ? { code: error.code, message: error.message, data: error.data }
    : { code: error.code, message: error.message };
  return {
    kind: 'reply',
    reply: { protocol: 'jsonrpc', ok: false, id, error: errorObject, textLine: false, raw: bytes },
  };
}

const strictDecoder = new TextDecoder('utf-8', { fatal: true });

function argumentText(part: string | Uint8Array): string {
  return typeof part === 'string' ? part : strictDecoder.decode(part);
}

/**
 * Legacy arguments as JSON-RPC params (PROTOCOL.md 5.1: value-only arguments are positional,
 * `name::value` ones named): all values → an array, all named → an object (an absent value is
 * `null`), none → no params. Throws `TypeError` for a mix, a missing or repeated name, or bytes
 * that are not UTF-8.
 */
export function argumentsToJsonRpcParams(
  args: readonly (string | Uint8Array | { readonly name?: unknown; readonly value?: unknown })[],
): JsonRpcParams | undefined {
  if (args.length === 0) return undefined;
  const positional: unknown[] = [];
  const named: Record<string, unknown> = {};
  let names = 0;
  for (const arg of args) {
    if (typeof arg === 'string' || arg instanceof Uint8Array) {
      positional.push(argumentText(arg));
      continue;
    }
    const { name, value } = arg;
    if (typeof name !== 'string' && !(name instanceof Uint8Array)) {
      if (value === null || value === undefined)
        throw new TypeError('an argument with neither name nor value');
      if (typeof value !== 'string' && !(value instanceof Uint8Array)) {
        throw new TypeError('argument values are strings or bytes');
      }
      positional.push(argumentText(value));
      continue;
    }
    const key = argumentText(name);
    if (key === '') throw new TypeError('an empty parameter name');
    if (Object.hasOwn(named, key))
      throw new TypeError(`parameter ${JSON.stringify(key)} given twice`);
    let text: string | null = null;
    if (typeof value === 'string' || value instanceof Uint8Array) text = argumentText(value);
    else if (value !== null && value !== undefined)
      throw new TypeError('argument values are strings or bytes');
    Object.defineProperty(named, key, {
      value: text,
      enumerable: true,
      writable: true,
      configurable: true,
    });
    names++;
  }
  if (names === 0) return positional;
  if (positional.length > 0) {
    throw new TypeError('JSON-RPC params are either all named or all positional');
  }
  return named;
}
