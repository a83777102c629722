/**
 * Checks of what a handler returned, shared by both reply encoders: a JSON-first
 * result (`{ json }`, from which the legacy reply is derived) and a reply tree.
 */
import {
  isJsonArray,
  JSON_MAX_ENCODE_DEPTH,
  JSONRPC_EMPTY_RESULT,
  JSONRPC_MAX_DATAGRAM_SIZE,
  type JsonValue,
  jsonToTree,
  type MiNode,
} from '@mi-datagram/protocol';

/**
 * The legacy nodes of a JSON-first result (`{ json }` without `nodes`):
 * `jsonToTree(json)`, except that the result `"OK"` gives no nodes (the
 * inverse of what a tree without nodes becomes in JSON-RPC).
 *
 * @throws for a value that is not JSON (NaN, a function, a cycle …).
 */
export function jsonToLegacyNodes(json: JsonValue): readonly MiNode[] {
  if (json === JSONRPC_EMPTY_RESULT) return [];
  checkJson(json);
  return jsonToTree(json);
}

/** Throws a TypeError when `value` is not a JSON value (or nests deeper than the encoder writes). */
export function checkJson(value: JsonValue): void {
  const stack: Array<{ value: JsonValue; depth: number }> = [{ value, depth: 0 }];
  let visited = 0;
  while (stack.length > 0) {
    const top = stack.pop();
    if (top === undefined) break;
    const v = top.value;
    if (++visited > JSONRPC_MAX_DATAGRAM_SIZE) {
      // More values than bytes in a datagram: the reply cannot fit (a cycle ends here too).
      throw new RangeError('JSON result too large');
    }
    switch (typeof v) {
      case 'string':
      case 'boolean':
      case 'bigint':
        continue;
      case 'number':
        if (!Number.isFinite(v)) throw new TypeError(`${v} is not JSON`);
        continue;
      case 'object':
        break;
      default:
        throw new TypeError(`a ${typeof v} is not JSON`);
    }
    if (v === null) continue;
    if (top.depth >= JSON_MAX_ENCODE_DEPTH) throw new TypeError('JSON result nested too deep');
    const items = isJsonArray(v) ? v : Object.values(v);
    for (const item of items) stack.push({ value: item, depth: top.depth + 1 });
  }
}

// ---------------------------------------------------------------------------
// Reply trees

/** Why `nodes` is not a valid reply tree (the checks of the legacy encoder), or `null`. */
export function treeProblem(nodes: unknown): string | null {
  if (!Array.isArray(nodes)) return 'nodes must be an array';
  const stack: unknown[][] = [nodes];
  const depths: number[] = [0];
  let visited = 0;
  while (stack.length > 0) {
    const list = stack.pop() ?? [];
    const depth = depths.pop() ?? 0;
    if (depth >= JSON_MAX_ENCODE_DEPTH) return 'tree nested too deep for JSON';
    for (const node of list) {
      // Every node takes at least one byte of the reply: more nodes than
      // bytes in a datagram cannot fit (a cyclic tree ends here too).
      if (++visited > JSONRPC_MAX_DATAGRAM_SIZE) return 'too large';
      if (typeof node !== 'object' || node === null) return 'a node must be an object';
      const n = node as Record<string, unknown>;
      if (n.name !== undefined && n.name !== null && typeof n.name !== 'string') {
        return 'node name must be a string';
      }
      if (n.value !== undefined && n.value !== null && typeof n.value !== 'string') {
        return 'node value must be a string';
      }
      const attributes = n.attributes;
      if (attributes !== undefined && attributes !== null) {
        if (!Array.isArray(attributes)) return 'node attributes must be an array';
        for (const attribute of attributes) {
          if (
            !Array.isArray(attribute) ||
            typeof attribute[0] !== 'string' ||
            typeof attribute[1] !== 'string'
          ) {
            return 'an attribute must be a [name, value] pair of strings';
          }
        }
      }
      const children = n.children;
      if (children !== undefined && children !== null) {
        if (!Array.isArray(children)) return 'node children must be an array';
        if (children.length > 0) {
          stack.push(children);
          depths.push(depth + 1);
        }
      }
    }
  }
  return null;
}
