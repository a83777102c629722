/**
 * A test client that behaves like python-opensips' datagram client
 * (`opensips/mi/datagram.py` + `jsonrpc_helper.py`), so the server is checked
 * against what OpenSIPS 3 tooling actually does, not against our own client:
 *
 * - the request is `json.dumps({"jsonrpc": "2.0", "id": str(randint(0,
 *   32767)), "method": m, "params": params or {}})`: Python's separators
 *   (`", "`, `": "`), non-ASCII escaped as `\uXXXX`, `params` always present
 *   (an empty object when there are none), the id a random *string*;
 * - a fresh socket per call: an ephemeral UDP port (the OS picks it at the
 *   first send), or, for UNIX, a temporary path bound before sending (as
 *   opensips-cli does; python-opensips itself only has UDP);
 * - one send, one receive of at most 32768 bytes (`recv(32768)`: a longer
 *   datagram is cut), 5 s timeout, socket closed;
 * - the reply is `json.loads`-ed: anything that is not JSON is a failure
 *   (a legacy text line included); `error` (an object) raises with its
 *   code/message/data; a reply without `result` raises -32603; else the
 *   result is returned.
 */
import { createSocket } from 'node:dgram';
import { openUnixReplySocket } from '@mi-datagram/transport-unix';

const RECV_SIZE = 32768;
const TIMEOUT_MS = 5000;

/** `JSONRPCError` of jsonrpc_helper.py. */
export class OpensipsJsonRpcError extends Error {
  constructor(
    readonly code: unknown,
    readonly rpcMessage: unknown,
    readonly data: unknown,
  ) {
    super(`${String(code)}: ${String(rpcMessage)}`);
  }
}

/** `JSONRPCException` of jsonrpc_helper.py (transport failure, undecodable reply). */
export class OpensipsJsonRpcException extends Error {}

/** Python's `json.dumps` with its default arguments, for the values a request holds. */
export function pythonJsonDumps(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') {
    // ensure_ascii=True: everything outside ASCII as \uXXXX (UTF-16 units).
    return JSON.stringify(value).replace(
      /[\u0080-\uffff]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
    );
  }
  if (typeof value === 'number' || typeof value === 'boolean') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(pythonJsonDumps).join(', ')}]`;
  if (typeof value === 'object') {
    const members = Object.entries(value).map(
      ([k, v]) => `${pythonJsonDumps(k)}: ${pythonJsonDumps(v)}`,
    );
    return `{${members.join(', ')}}`;
  }
  throw new TypeError(`not JSON: ${typeof value}`);
}

/** `get_command`: the request text and the id it carries. */
export function getCommand(method: string, params?: unknown): { text: string; id: string } {
  const id = String(Math.floor(Math.random() * 32768));
  const hasParams =
    params !== undefined &&
    params !== null &&
    !(Array.isArray(params) && params.length === 0) &&
    !(typeof params === 'object' && Object.keys(params).length === 0);
  const text = pythonJsonDumps({
    jsonrpc: '2.0',
    id,
    method,
    params: hasParams ? params : {},
  });
  return { text, id };
}

/** `get_reply`. */
export function getReply(reply: Uint8Array): unknown {
  let j: unknown;
  try {
    j = JSON.parse(Buffer.from(reply).toString('utf8'));
  } catch (error) {
    throw new OpensipsJsonRpcException(
      `could not decode json: '${Buffer.from(reply).toString('latin1')}'`,
      { cause: error },
    );
  }
  if (typeof j !== 'object' || j === null || Array.isArray(j)) {
    // `j.get(...)` on a list or a scalar raises in Python.
    throw new OpensipsJsonRpcException('reply is not a JSON object');
  }
  const record = j as Record<string, unknown>;
  const error = record.error;
  if (typeof error === 'object' && error !== null && !Array.isArray(error)) {
    const e = error as Record<string, unknown>;
    throw new OpensipsJsonRpcError(e.code ?? 500, e.message, e.data);
  }
  if (!Object.hasOwn(record, 'result'))
    throw new OpensipsJsonRpcError(-32603, 'Internal error', undefined);
  return record.result;
}

export interface RawExchange {
  /** The exact request bytes sent. */
  readonly request: Uint8Array;
  /** The id the request carried. */
  readonly id: string;
  /** The reply as read (at most 32768 bytes). */
  readonly reply: Uint8Array;
}

async function exchangeUdp(host: string, port: number, request: Uint8Array): Promise<Uint8Array> {
  const socket = createSocket({ type: host.includes(':') ? 'udp6' : 'udp4' });
  try {
    return await new Promise<Uint8Array>((resolve, reject) => {
      const timer = setTimeout(() => reject(new OpensipsJsonRpcException('timed out')), TIMEOUT_MS);
      socket.once('message', (msg) => {
        clearTimeout(timer);
        resolve(msg.subarray(0, RECV_SIZE));
      });
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(new OpensipsJsonRpcException(error.message));
      });
      // No bind: like Python's sendto on a fresh socket, the OS picks the port.
      socket.send(request, port, host, (error) => {
        if (error !== null && error !== undefined) {
          clearTimeout(timer);
          reject(new OpensipsJsonRpcException(error.message));
        }
      });
    });
  } finally {
    await new Promise<void>((resolve) => socket.close(() => resolve()));
  }
}

async function exchangeUnix(path: string, dir: string, request: Uint8Array): Promise<Uint8Array> {
  let deliver: ((data: Uint8Array) => void) | null = null;
  const first: Uint8Array[] = [];
  const socket = await openUnixReplySocket({
    dir,
    maxDatagramSize: RECV_SIZE,
    onMessage: (data) => {
      const copy = Uint8Array.from(data);
      if (deliver !== null) deliver(copy);
      else first.push(copy);
    },
  });
  try {
    return await new Promise<Uint8Array>((resolve, reject) => {
      const timer = setTimeout(() => reject(new OpensipsJsonRpcException('timed out')), TIMEOUT_MS);
      deliver = (data) => {
        clearTimeout(timer);
        deliver = () => undefined; // one receive only
        resolve(data);
      };
      const queued = first.shift();
      if (queued !== undefined) deliver(queued);
      if (socket.send(request, path) === 'dropped') {
        clearTimeout(timer);
        reject(new OpensipsJsonRpcException('request not sent'));
      }
    });
  } finally {
    await socket.close();
  }
}

/** One call as python-opensips makes it, keeping the raw bytes for assertions. */
export async function opensipsExchange(
  address: string,
  dir: string,
  method: string,
  params?: unknown,
): Promise<RawExchange> {
  const { text, id } = getCommand(method, params);
  const request = Buffer.from(text, 'utf8');
  const m = /^udp:\[?(.*?)\]?:(\d+)$/.exec(address);
  const reply =
    m === null
      ? await exchangeUnix(address, dir, request)
      : await exchangeUdp(m[1] as string, Number(m[2]), request);
  return { request, id, reply };
}

/** `OpenSIPSMI(...).execute(method, params)`: the result, or a throw. */
export async function opensipsExecute(
  address: string,
  dir: string,
  method: string,
  params?: unknown,
): Promise<unknown> {
  const { reply } = await opensipsExchange(address, dir, method, params);
  return getReply(reply);
}
