import type { MiNode, RequestArgumentInput } from '@mi-datagram/protocol';
import type { JsonRpcParams, MiJsonRpcReply } from './jsonrpc.js';
import type { MiNamedParams } from './params.js';

/**
 * Wire protocol of a client: the legacy text protocol (OpenSIPS 2.x), JSON-RPC 2.0 (3.x), or
 * `'auto'`: legacy first, and JSON-RPC from then on once the target answers a legacy request the
 * way OpenSIPS 3 does (`400 Parse_error`, PROTOCOL.md 5).
 */
export type MiProtocolName = 'legacy' | 'jsonrpc' | 'auto';

/**
 * One legacy argument: a value (`string`/bytes) or a `{ name, value }` pair, either of which may
 * be absent (`null`/omitted). Quoting and escaping are done by `@mi-datagram/protocol`.
 */
export type MiArgument = RequestArgumentInput;

/** A legacy reply: status, tree and the datagram as received. Any status code resolves. */
export interface MiReply {
  readonly protocol: 'legacy';
  /** Decimal status: 2xx success, 4xx/5xx errors (still a reply, not an exception). */
  readonly code: number;
  readonly reason: string;
  readonly nodes: readonly MiNode[];
  /**
   * `tree`: an ordinary reply ending with an empty line; `line`: one of the single-line
   * transport errors without the final empty line (PROTOCOL.md 3, 4).
   */
  readonly form: 'tree' | 'line';
  /** The reply datagram exactly as received (values are never escaped: PROTOCOL.md 3). */
  readonly raw: Uint8Array;
}

export interface MiClientOptions<P extends MiProtocolName = MiProtocolName> {
  /** Wire protocol. Default `'legacy'` (the `mi` CLI uses `'auto'`). */
  readonly protocol?: P;
  /** Default per-call timeout in ms (from sending the request to the reply). Default 2000. */
  readonly timeout?: number;
  /** Idle reply sockets kept open for reuse. Default 16; 0 opens a fresh socket per call. */
  readonly maxIdleSockets?: number;
  /** Directory in which UNIX reply sockets are created. Default: the transport's (the OS temp dir). */
  readonly socketDir?: string;
}

export interface MiCallOptions {
  /**
   * Timeout of this call in ms. Default: the client's `timeout`. With `'auto'`, a retry in
   * JSON-RPC gets what is left of it.
   */
  readonly timeout?: number;
  /** Cancels the call: it rejects with `ABORTED` and its reply socket is closed. */
  readonly signal?: AbortSignal;
}

/**
 * Arguments of {@link MiClient.call}: JSON-RPC params, or legacy arguments (with `'auto'`, sent as
 * JSON-RPC params when the target speaks JSON-RPC: `{ name, value }` pairs become named params,
 * values positional ones).
 */
export type MiCallArgs<P extends MiProtocolName> = P extends 'jsonrpc'
  ? JsonRpcParams
  : readonly MiArgument[] | MiNamedParams;

/** Result of {@link MiClient.call}: a legacy reply, a JSON-RPC response, or (`'auto'`) either. */
export type MiCallResult<P extends MiProtocolName> = P extends 'jsonrpc'
  ? MiJsonRpcReply
  : P extends 'legacy'
    ? MiReply
    : MiReply | MiJsonRpcReply;
