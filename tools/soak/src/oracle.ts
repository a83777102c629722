/**
 * The soak's oracle: what reply the server must send for a datagram,
 * predicted with @mi-datagram/protocol's own parsers (the server must not
 * disagree with the codec it is built on), and the comparison of an actual
 * reply with that prediction.
 */
import {
  classifyDatagram,
  encodeReply,
  isJsonArray,
  isJsonObject,
  isMiProtocolError,
  type JsonRpcItem,
  type JsonValue,
  MAX_DATAGRAM_SIZE,
  type MiArgument,
  type MiNode,
  parseArguments,
  parseJsonRpcDatagram,
  parseReply,
  parseRequestHead,
  safeJsonParse,
  stringifyJson,
  TRANSPORT_ERROR_LINES,
  type TransportErrorKind,
  transportErrorReply,
} from '@mi-datagram/protocol';

/** What a JSON-RPC response object must look like: its id and its outcome. */
export interface RpcShape {
  /** The id as JSON text (`null`, `1`, `"a"`). */
  readonly id: string;
  /** `result`, a specific error code, `error` (any error code), or `any` (result or error). */
  readonly outcome: 'result' | 'error' | 'any' | number;
}

export type Expectation =
  /** No reply at all (empty datagram, JSON-RPC notification, a handler that never settles). */
  | { readonly kind: 'none'; readonly label: string }
  /** Exactly these bytes (transport error lines, `echo` trees). */
  | { readonly kind: 'bytes'; readonly bytes: Uint8Array; readonly label: string }
  /** A tree reply (ends with the empty line) with one of these codes (core commands). */
  | { readonly kind: 'tree'; readonly codes: readonly number[]; readonly label: string }
  /** A JSON-RPC response object (single) or array (batch), member by member. */
  | {
      readonly kind: 'jsonrpc';
      readonly single: RpcShape | null;
      readonly batch: readonly RpcShape[] | null;
      readonly label: string;
    }
  /** Would run a command the soak must never run (`kill`, `log_level`): not sent. */
  | { readonly kind: 'forbidden'; readonly label: string };

/** How the soak predicts one command's reply. */
export type CommandModel =
  | { readonly kind: 'echo' }
  /**
   * A core command: a tree with one of these codes; `noInput`: arguments never parsed.
   * `argsDecide`: without arguments a 200 result, with any its answer depends on them
   * (a JSON-RPC result or error: `which COMMAND`, the command model's recipes).
   */
  | {
      readonly kind: 'core';
      readonly noInput: boolean;
      readonly codes: readonly number[];
      readonly argsDecide?: boolean;
    }
  | { readonly kind: 'throw' }
  | { readonly kind: 'hang' }
  | { readonly kind: 'slow' }
  | { readonly kind: 'forbidden' };

/** The commands the soak server serves (core + examples/commands.mjs + soak-commands.mjs). */
export const COMMANDS: ReadonlyMap<string, CommandModel> = new Map<string, CommandModel>([
  ['echo', { kind: 'echo' }],
  ['version', { kind: 'core', noInput: true, codes: [200] }],
  // `which COMMAND` answers recipes, 404 for an unknown command, 400 for more arguments.
  ['which', { kind: 'core', noInput: false, codes: [200, 400, 404], argsDecide: true }],
  ['uptime', { kind: 'core', noInput: true, codes: [200] }],
  ['pwd', { kind: 'core', noInput: true, codes: [200] }],
  ['arg', { kind: 'core', noInput: true, codes: [200] }],
  ['ps', { kind: 'core', noInput: true, codes: [200] }],
  // The command model (docs/commands.md) answers 400 for arguments that fit no recipe.
  ['help', { kind: 'core', noInput: false, codes: [200, 400, 404] }],
  // The cache commands answer 200 or their own 4xx trees depending on the arguments, and
  // 500 `Cache ... command failed` for an unknown cache system (as cachedb_local).
  ['cache_store', { kind: 'core', noInput: false, codes: [200, 400, 404, 500] }],
  ['cache_fetch', { kind: 'core', noInput: false, codes: [200, 400, 404, 500] }],
  ['cache_remove', { kind: 'core', noInput: false, codes: [200, 400, 404, 500] }],
  ['soak_throw', { kind: 'throw' }],
  ['soak_hang', { kind: 'hang' }],
  ['soak_slow', { kind: 'slow' }],
  ['kill', { kind: 'forbidden' }],
  ['log_level', { kind: 'forbidden' }],
]);

export interface OracleContext {
  /** The server answers JSON-RPC on the socket (probed at start); else `{`/`[` datagrams are legacy text. */
  readonly jsonrpc: boolean;
  readonly commands?: ReadonlyMap<string, CommandModel>;
}

const LINES: Readonly<Record<TransportErrorKind, Uint8Array>> = Object.fromEntries(
  (Object.keys(TRANSPORT_ERROR_LINES) as TransportErrorKind[]).map((k) => [
    k,
    transportErrorReply(k),
  ]),
) as Record<TransportErrorKind, Uint8Array>;

function line(kind: TransportErrorKind): Expectation {
  return { kind: 'bytes', bytes: LINES[kind], label: `line:${kind}` };
}

function slowDelay(args: readonly MiArgument[]): number {
  const ms = Number(args[0]?.value ?? '0');
  return Number.isInteger(ms) && ms >= 0 && ms <= 5000 ? ms : 0;
}

function encodeOrTooLarge(nodes: readonly MiNode[], label: string): Expectation {
  try {
    return { kind: 'bytes', bytes: encodeReply({ code: 200, reason: 'OK', nodes }), label };
  } catch (error) {
    if (isMiProtocolError(error) && error.code === 'REPLY_TOO_LARGE') {
      return line('REPLY_TOO_LARGE');
    }
    throw error;
  }
}

/**
 * The reply the server must send for `data` received whole (`truncated`:
 * the transport cut it, as a UNIX socket does above 65457 bytes).
 */
export function predict(data: Uint8Array, ctx: OracleContext, truncated = false): Expectation {
  const commands = ctx.commands ?? COMMANDS;
  if (data.length === 0) return { kind: 'none', label: 'none:empty' };
  const seen = truncated ? data.subarray(0, MAX_DATAGRAM_SIZE) : data;
  if (ctx.jsonrpc && classifyDatagram(seen) === 'jsonrpc') {
    return predictJsonRpc(seen, commands, truncated || data.length > MAX_DATAGRAM_SIZE);
  }
  if (truncated || data.length > MAX_DATAGRAM_SIZE) return line('REQUEST_TOO_LARGE');
  let command: string;
  let bodyOffset: number;
  try {
    const head = parseRequestHead(data);
    command = head.command;
    bodyOffset = head.bodyOffset;
  } catch (error) {
    if (isMiProtocolError(error) && error.code === 'NOT_AVAILABLE') return line('NOT_AVAILABLE');
    throw error;
  }
  const model = commands.get(command);
  if (model === undefined) return line('NOT_AVAILABLE');
  if (model.kind === 'forbidden') return { kind: 'forbidden', label: `forbidden:${command}` };
  const noInput = model.kind === 'core' && model.noInput;
  let args: readonly MiArgument[] = [];
  if (!noInput) {
    try {
      args = parseArguments(data, bodyOffset);
    } catch (error) {
      if (isMiProtocolError(error) && error.code === 'PARSE_ERROR') return line('PARSE_ERROR');
      throw error;
    }
  }
  switch (model.kind) {
    case 'echo':
      return encodeOrTooLarge(
        args.map((a) => (a.name === null ? { value: a.value } : { name: a.name, value: a.value })),
        'echo-tree',
      );
    case 'core':
      return { kind: 'tree', codes: model.codes, label: `tree:${command}` };
    case 'throw':
      return line('COMMAND_FAILED');
    case 'hang':
      return { kind: 'none', label: 'none:hang' };
    case 'slow':
      return encodeOrTooLarge([{ name: 'slept', value: String(slowDelay(args)) }], 'slow-tree');
  }
}

function idText(id: JsonValue | undefined): string {
  return id === undefined ? 'null' : stringifyJson(id);
}

/** null: no response for this item (notification); 'forbidden'; 'hang'. */
function itemShape(
  item: JsonRpcItem,
  commands: ReadonlyMap<string, CommandModel>,
): RpcShape | null | 'forbidden' | 'hang' {
  if (!item.ok) return { id: idText(item.response.id), outcome: item.response.error.code };
  const { method, id } = item.request;
  const model = commands.get(method);
  if (model?.kind === 'forbidden') return 'forbidden';
  if (model?.kind === 'hang' || model?.kind === 'slow') return 'hang';
  if (id === undefined) return null; // notification: executed, never answered
  if (model === undefined) return { id: idText(id), outcome: -32601 };
  switch (model.kind) {
    case 'echo':
      return { id: idText(id), outcome: 'result' };
    case 'core':
      if (model.argsDecide === true) {
        const params = item.request.params;
        const none =
          params === undefined ||
          (Array.isArray(params) ? params.length === 0 : Object.keys(params).length === 0);
        return { id: idText(id), outcome: none ? 'result' : 'any' };
      }
      return {
        id: idText(id),
        outcome: model.codes.length === 1 && model.codes[0] === 200 ? 'result' : 'error',
      };
    case 'throw':
      return { id: idText(id), outcome: 'error' };
  }
}

function predictJsonRpc(
  data: Uint8Array,
  commands: ReadonlyMap<string, CommandModel>,
  truncated: boolean,
): Expectation {
  const parsed = parseJsonRpcDatagram(data, { truncated });
  if (parsed.kind === 'error') {
    const code = parsed.response.error.code;
    return {
      kind: 'jsonrpc',
      single: { id: idText(parsed.response.id), outcome: code },
      batch: null,
      label: `jsonrpc:${code}`,
    };
  }
  if (parsed.kind === 'single') {
    const shape = itemShape(parsed.item, commands);
    if (shape === 'forbidden') return { kind: 'forbidden', label: 'forbidden:jsonrpc' };
    if (shape === 'hang') return { kind: 'forbidden', label: 'forbidden:jsonrpc-slow' };
    if (shape === null) return { kind: 'none', label: 'none:notification' };
    return {
      kind: 'jsonrpc',
      single: shape,
      batch: null,
      label: `jsonrpc:${shape.outcome}`,
    };
  }
  const shapes: RpcShape[] = [];
  for (const item of parsed.items) {
    const shape = itemShape(item, commands);
    if (shape === 'forbidden' || shape === 'hang') {
      return { kind: 'forbidden', label: 'forbidden:jsonrpc-batch' };
    }
    if (shape !== null) shapes.push(shape);
  }
  if (shapes.length === 0) return { kind: 'none', label: 'none:notification-batch' };
  return { kind: 'jsonrpc', single: null, batch: shapes, label: 'jsonrpc:batch' };
}

function shapeOf(value: JsonValue): RpcShape | null {
  if (!isJsonObject(value)) return null;
  const v = value as { readonly [key: string]: JsonValue | undefined };
  if (v.jsonrpc !== '2.0') return null;
  const id = idText(v.id);
  const error = v.error;
  if (error !== undefined) {
    if (!isJsonObject(error)) return null;
    const code = (error as { readonly [key: string]: JsonValue | undefined }).code;
    return typeof code === 'number' ? { id, outcome: code } : null;
  }
  return Object.hasOwn(v, 'result') ? { id, outcome: 'result' } : null;
}

function shapeMatches(expected: RpcShape, actual: RpcShape): boolean {
  if (expected.id !== actual.id) return false;
  if (expected.outcome === 'any') return true;
  if (expected.outcome === 'result') return actual.outcome === 'result';
  if (expected.outcome === 'error') return actual.outcome !== 'result';
  return expected.outcome === actual.outcome;
}

/** True when `reply` is what `expected` allows. */
export function matches(expected: Expectation, reply: Uint8Array): boolean {
  switch (expected.kind) {
    case 'none':
    case 'forbidden':
      return false;
    case 'bytes':
      return Buffer.from(reply).equals(Buffer.from(expected.bytes));
    case 'tree': {
      try {
        const parsed = parseReply(reply);
        return parsed.form === 'tree' && expected.codes.includes(parsed.code);
      } catch {
        return false;
      }
    }
    case 'jsonrpc': {
      let value: JsonValue;
      try {
        value = safeJsonParse(reply);
      } catch {
        return false;
      }
      if (expected.single !== null) {
        const actual = shapeOf(value);
        return actual !== null && shapeMatches(expected.single, actual);
      }
      const batch = expected.batch ?? [];
      if (!isJsonArray(value) || value.length !== batch.length) return false;
      const actual = value.map(shapeOf);
      if (actual.every((a, i) => a !== null && shapeMatches(batch[i] as RpcShape, a))) return true;
      // JSON-RPC allows any order in a batch answer: match each expected member to an unused one.
      const used = new Set<number>();
      return batch.every((want) => {
        const i = actual.findIndex((a, j) => !used.has(j) && a !== null && shapeMatches(want, a));
        if (i < 0) return false;
        used.add(i);
        return true;
      });
    }
  }
}

/** Printable, bounded rendering of a datagram for mismatch reports. */
export function show(data: Uint8Array, max = 160): string {
  const head = Buffer.from(data.subarray(0, max)).toString('latin1');
  const text = JSON.stringify(head);
  return data.length > max ? `${text}…(${data.length} bytes)` : text;
}

/** Printable rendering of an expectation. */
export function showExpectation(e: Expectation): string {
  switch (e.kind) {
    case 'bytes':
      return `${e.label} ${show(e.bytes, 100)}`;
    case 'tree':
      return `${e.label} (tree, code ${e.codes.join('|')})`;
    case 'jsonrpc':
      return `${e.label} ${JSON.stringify(e.single ?? e.batch)}`;
    default:
      return e.label;
  }
}
