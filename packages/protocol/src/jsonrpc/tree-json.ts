/**
 * The reply tree ↔ JSON mapping (issue 7, section 2; PROTOCOL.md 3 and 5).
 * One deterministic rule, used in both directions; README "Tree ↔ JSON"
 * states it in full together with the trees and JSON values that round-trip.
 */

import type { MiNode, MiReplyTree } from '../tree.js';
import { stringifyJson } from './json-stringify.js';
import {
  isJsonArray,
  isJsonObject,
  type JsonObject,
  type JsonValue,
  jsonObject,
} from './json-value.js';
import { type JsonRpcId, type JsonRpcResponse, jsonRpcError, jsonRpcResult } from './response.js';

/** Inside a node's object, the key holding the node's own value. */
export const TREE_JSON_VALUE_KEY = 'value';
/** Inside an object, the key holding unnamed nodes that sit beside named ones. */
export const TREE_JSON_UNNAMED_KEY = '';
/** The JSON result of a successful reply with no nodes, and the JSON that maps back to one. */
export const JSONRPC_EMPTY_RESULT = 'OK';

function isUnnamed(node: MiNode): boolean {
  return node.name === null || node.name === undefined;
}

/**
 * Groups `[key, body]` entries into an object: keys in first-appearance
 * order; a key seen once keeps its body, unless the body is itself an array,
 * which is wrapped (`[body]`) so that an array under a key always means "one
 * node per item".
 */
function group(entries: readonly (readonly [string, JsonValue])[]): JsonObject {
  const groups = new Map<string, JsonValue[]>();
  for (const [key, body] of entries) {
    const list = groups.get(key);
    if (list === undefined) groups.set(key, [body]);
    else list.push(body);
  }
  const fields: [string, JsonValue][] = [];
  for (const [key, bodies] of groups) {
    const only = bodies.length === 1 ? bodies[0]! : undefined;
    fields.push([key, only !== undefined && !isJsonArray(only) ? only : bodies]);
  }
  return jsonObject(fields);
}

/** The JSON of one node, its name aside. */
function nodeBody(node: MiNode): JsonValue {
  const attributes = node.attributes ?? [];
  const children = node.children ?? [];
  const value = node.value ?? null;
  if (attributes.length === 0 && children.length === 0) return value;
  if (attributes.length === 0 && value === null && children.every(isUnnamed)) {
    return children.map(nodeBody);
  }
  const entries: [string, JsonValue][] = [];
  if (value !== null) entries.push([TREE_JSON_VALUE_KEY, value]);
  for (const [name, attributeValue] of attributes) entries.push([name, attributeValue]);
  for (const child of children)
    entries.push([child.name ?? TREE_JSON_UNNAMED_KEY, nodeBody(child)]);
  return group(entries);
}

/**
 * Reply tree → JSON.
 *
 * A list of nodes (the top level, or a node's children) where no node has a
 * name → an array of the node bodies; otherwise → an object grouping the
 * nodes by name (unnamed ones under `""`). A node's body:
 * no attributes and no children → its value (a string) or `null`;
 * only unnamed children and no value → the array of their bodies;
 * otherwise → an object of, in this order, `"value"` (its own value, if
 * any), its attributes (`name: value`), its children (grouped by name as
 * above). Within an object a key seen once holds its body (an array body is
 * wrapped in a one-item array); a key seen more than once holds the array of
 * its bodies, in order.
 */
export function treeToJson(nodes: readonly MiNode[]): JsonValue {
  if (nodes.every(isUnnamed)) return nodes.map(nodeBody);
  return group(nodes.map((node) => [node.name ?? TREE_JSON_UNNAMED_KEY, nodeBody(node)] as const));
}

function scalarText(value: string | number | bigint | boolean): string {
  return typeof value === 'string' ? value : stringifyJson(value);
}

function pushField(out: MiNode[], key: string, field: JsonValue): void {
  if (isJsonArray(field)) {
    for (const item of field) out.push(makeNode(key, item));
  } else {
    out.push(makeNode(key, field));
  }
}

/** One node named `key` (`""`: unnamed) whose body is `body`. */
function makeNode(key: string | null, body: JsonValue): MiNode {
  const name = key === null || key === TREE_JSON_UNNAMED_KEY ? {} : { name: key };
  if (body === null) return name;
  if (isJsonArray(body)) {
    const children = body.map((item) => makeNode(null, item));
    return children.length > 0 ? { ...name, children } : name;
  }
  if (isJsonObject(body)) {
    let value: string | undefined;
    const children: MiNode[] = [];
    for (const [field, fieldValue] of Object.entries(body)) {
      if (
        field === TREE_JSON_VALUE_KEY &&
        fieldValue !== null &&
        !isJsonArray(fieldValue) &&
        !isJsonObject(fieldValue)
      ) {
        value = scalarText(fieldValue);
      } else {
        pushField(children, field, fieldValue);
      }
    }
    return {
      ...name,
      ...(value === undefined ? {} : { value }),
      ...(children.length > 0 ? { children } : {}),
    };
  }
  return { ...name, value: scalarText(body) };
}

/**
 * JSON → reply tree, the inverse of {@link treeToJson}. Never produces
 * attributes, empty lists, or `null`/`undefined` fields (absent means absent).
 *
 * Top level: an array → one unnamed node per item; an object → per key, one
 * node named after the key (`""`: unnamed), or, when the key holds an
 * array, one such node per item; `null` → no nodes; any other scalar → one
 * unnamed node. A node from a JSON body: a string → its value; a number,
 * boolean or bigint → its JSON text as value; `null` → no value; an array →
 * one unnamed child per item; an object → children per key as at the top
 * level, except that `"value"` holding a scalar other than `null` is the
 * node's own value.
 */
export function jsonToTree(value: JsonValue): MiNode[] {
  if (value === null) return [];
  if (isJsonArray(value)) return value.map((item) => makeNode(null, item));
  if (isJsonObject(value)) {
    const nodes: MiNode[] = [];
    for (const [key, field] of Object.entries(value)) pushField(nodes, key, field);
    return nodes;
  }
  return [makeNode(null, value)];
}

/**
 * A command's reply as a JSON-RPC response. 2xx → `result`: the
 * {@link treeToJson} of the nodes, or `"OK"` when there are none (as
 * OpenSIPS 3 answers). Anything else → `error` with the MI code and reason
 * (`{ code: 400, message: 'Bad parameter' }`), plus `data` (the JSON of the
 * nodes) when the reply has nodes.
 */
export function replyToJsonRpc(reply: MiReplyTree, id: JsonRpcId): JsonRpcResponse {
  if (reply.code >= 200 && reply.code <= 299) {
    return jsonRpcResult(
      id,
      reply.nodes.length === 0 ? JSONRPC_EMPTY_RESULT : treeToJson(reply.nodes),
    );
  }
  if (reply.nodes.length === 0) return jsonRpcError(id, reply.code, reply.reason);
  return jsonRpcError(id, reply.code, reply.reason, treeToJson(reply.nodes));
}

/**
 * For a JSON-first command: the legacy reply derived from its JSON result.
 * Always `200 OK`; the nodes are {@link jsonToTree} of `value`, except that
 * the result `"OK"` gives no nodes (the inverse of {@link replyToJsonRpc}).
 */
export function jsonToReplyTree(value: JsonValue): MiReplyTree {
  return {
    code: 200,
    reason: 'OK',
    nodes: value === JSONRPC_EMPTY_RESULT ? [] : jsonToTree(value),
  };
}
