/** Legacy text reply encoder (PROTOCOL.md 3). */

import type { MiNode, MiReplyTree } from '../tree.js';
import { MiProtocolError } from './errors.js';
import { MAX_DATAGRAM_SIZE } from './limits.js';
import { encodeUtf8 } from './text.js';

/** Options of {@link encodeReply}. */
export interface EncodeReplyOptions {
  /** Written once per depth level before a node (`reply_indent`). Default: one TAB. */
  readonly indent?: string;
  /** Largest reply in bytes; above it `REPLY_TOO_LARGE` is thrown. Default: {@link MAX_DATAGRAM_SIZE}. */
  readonly maxSize?: number;
}

function invalid(message: string): MiProtocolError {
  return new MiProtocolError('INVALID_REPLY', message);
}

function tooLarge(maxSize: number): MiProtocolError {
  return new MiProtocolError('REPLY_TOO_LARGE', `reply exceeds ${maxSize} bytes`);
}

function optionalString(v: unknown, what: string): string {
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw invalid(`${what} must be a string`);
  return v;
}

/** One node line, without indentation: `[name:: ][value]( attr=value)*`. */
function nodeText(node: MiNode): string {
  if (typeof node !== 'object' || node === null) throw invalid('a node must be an object');
  let line = '';
  const name = node.name;
  if (name !== undefined && name !== null) {
    if (typeof name !== 'string') throw invalid('node name must be a string');
    line = name + ':: ';
  }
  line += optionalString(node.value, 'node value');
  const attributes = node.attributes;
  if (attributes !== undefined && attributes !== null) {
    if (!Array.isArray(attributes)) throw invalid('node attributes must be an array');
    for (const attr of attributes) {
      if (!Array.isArray(attr)) throw invalid('an attribute must be a [name, value] pair');
      const [k, v] = attr;
      if (typeof k !== 'string' || typeof v !== 'string') {
        throw invalid('attribute name and value must be strings');
      }
      line += ' ' + k + '=' + v;
    }
  }
  return line;
}

/**
 * Encodes a reply tree to the exact bytes of PROTOCOL.md 3: `CODE REASON\n`,
 * then each node depth first on its own line (`indent` × depth, `name:: ` if
 * the node has a name, the value, then ` k=v` per attribute), then one empty
 * line. Values are written raw: nothing is quoted or escaped (a value with a
 * newline spans lines; see {@link parseReply} for what a reader makes of it).
 * A `''` name is written (`:: value`); a missing/null name is not. Strings are
 * written as UTF-8 (a lone surrogate as U+FFFD).
 *
 * The size is checked while the reply is built: nothing much larger than
 * `maxSize` is ever held (the tree may even be cyclic: it just becomes too
 * large). The traversal is iterative, so depth does not use the call stack.
 *
 * @throws {MiProtocolError} `REPLY_TOO_LARGE` when the bytes would exceed
 *   `maxSize` (the server then sends `500 reply too large\n`);
 *   `INVALID_REPLY` when `code` is not an integer 100..999, `reason` contains a
 *   newline (it would break the status line), or a field has the wrong type.
 */
export function encodeReply(reply: MiReplyTree, options?: EncodeReplyOptions): Uint8Array {
  const indent = options?.indent ?? '\t';
  const maxSize = options?.maxSize ?? MAX_DATAGRAM_SIZE;
  if (typeof indent !== 'string') throw new TypeError('indent must be a string');
  if (!(maxSize >= 0)) throw new RangeError('maxSize must be a non-negative number');
  if (typeof reply !== 'object' || reply === null) throw invalid('reply must be an object');
  const { code, reason, nodes } = reply;
  if (!Number.isInteger(code) || code < 100 || code > 999) {
    throw invalid(`status code must be an integer 100..999, got ${String(code)}`);
  }
  if (typeof reason !== 'string') throw invalid('reason must be a string');
  if (reason.includes('\n')) throw invalid('reason must not contain a newline');
  if (!Array.isArray(nodes)) throw invalid('nodes must be an array');

  // Built as one JS string, encoded once. Every UTF-16 unit takes at least one
  // UTF-8 byte, so `out.length > maxSize` already proves the bytes are too many.
  let out = code + ' ' + reason + '\n';
  if (out.length > maxSize) throw tooLarge(maxSize);
  const indents: string[] = [''];
  // Iterative depth-first walk: a stack of (siblings, next index).
  const stackNodes: (readonly MiNode[])[] = [nodes];
  const stackIndex: number[] = [0];
  while (stackNodes.length > 0) {
    const depth = stackNodes.length - 1;
    const siblings = stackNodes[depth]!;
    const i = stackIndex[depth]!;
    if (i >= siblings.length) {
      stackNodes.pop();
      stackIndex.pop();
      continue;
    }
    stackIndex[depth] = i + 1;
    const node = siblings[i]!;
    let pad = indents[depth];
    if (pad === undefined) {
      pad = indents[depth - 1]! + indent;
      indents[depth] = pad;
    }
    const line = pad + nodeText(node) + '\n';
    if (out.length + line.length > maxSize) throw tooLarge(maxSize);
    out += line;
    const children = node.children;
    if (children !== undefined && children !== null) {
      if (!Array.isArray(children)) throw invalid('node children must be an array');
      if (children.length > 0) {
        stackNodes.push(children);
        stackIndex.push(0);
      }
    }
  }
  // PROTOCOL.md 3: a reply always ends with one empty line.
  out += '\n';
  if (out.length > maxSize) throw tooLarge(maxSize);
  const bytes = encodeUtf8(out);
  if (bytes.length > maxSize) throw tooLarge(maxSize);
  return bytes;
}
