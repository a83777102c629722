/** Legacy text reply parser (PROTOCOL.md 3), for clients. */

import type { MiAttribute, MiNode, MiReplyTree } from '../tree.js';
import { MiProtocolError } from './errors.js';
import { decodeAll } from './text.js';

/** A node as {@link parseReply} returns it: every field present. */
export interface ParsedNode extends MiNode {
  /** `null` when the line had no `name:: ` part. */
  readonly name: string | null;
  /** `null` when nothing was left for the value (an empty value reads as absent). */
  readonly value: string | null;
  readonly attributes: MiAttribute[];
  readonly children: ParsedNode[];
}

/** What {@link parseReply} returns. */
export interface ParsedReply extends MiReplyTree {
  /**
   * `'tree'`: a reply ending with the empty line (everything a command
   * returns, errors included); `'line'`: a single status line without it (the
   * transport errors of PROTOCOL.md 4).
   */
  readonly form: 'tree' | 'line';
  nodes: ParsedNode[];
}

/** Options of {@link parseReply}. */
export interface ParseReplyOptions {
  /**
   * The `reply_indent` the server used, one per depth level. Default: one TAB.
   * `''` reads every node at depth 0.
   */
  readonly indent?: string;
}

function invalid(message: string, offset?: number): MiProtocolError {
  return new MiProtocolError('INVALID_REPLY', message, offset);
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/**
 * Splits `text[from, to)`, the text after `name:: `, into value and
 * attributes. The wire format does not delimit them (PROTOCOL.md 3), so this
 * rule decides:
 *
 * 1. No `=`, or no space before the first `=`: the whole text is the value
 *    and there are no attributes.
 * 2. Otherwise the value ends at the LAST space before the first `=`, and the
 *    text from there to that `=` is the first attribute's name.
 * 3. An attribute's value ends at its FIRST space if a `=` follows that space
 *    somewhere on the line; the text from the space to the next `=` is the
 *    next attribute's name. Otherwise the value runs to the end of the line.
 *
 * So the node value may contain spaces; attribute names after the first may
 * contain spaces (`Log level=2`); the last attribute value may contain spaces
 * (`Type=SIP receiver udp:127.0.0.1:5060 `); other attribute values may not.
 *
 * Works on indices into the whole reply text: no slice of the line, no
 * intermediate object (a reply of many nodes allocates only what it returns).
 */
function parseNode(text: string, from: number, to: number, name: string | null): ParsedNode {
  const attributes: MiAttribute[] = [];
  const firstEq = text.indexOf('=', from);
  // No space before the first `=` (or no `=` on this line): all value.
  const sp = firstEq <= from || firstEq >= to ? -1 : text.lastIndexOf(' ', firstEq - 1);
  if (sp < from) return node(name, from === to ? null : text.slice(from, to), attributes);
  let attrName = text.slice(sp + 1, firstEq);
  let valueStart = firstEq + 1;
  for (;;) {
    let space = text.indexOf(' ', valueStart);
    if (space >= to) space = -1;
    let nextEq = space < 0 ? -1 : text.indexOf('=', space + 1);
    if (nextEq >= to) nextEq = -1;
    if (nextEq < 0) {
      attributes.push([attrName, text.slice(valueStart, to)]);
      break;
    }
    attributes.push([attrName, text.slice(valueStart, space)]);
    attrName = text.slice(space + 1, nextEq);
    valueStart = nextEq + 1;
  }
  return node(name, sp === from ? null : text.slice(from, sp), attributes);
}

function node(name: string | null, value: string | null, attributes: MiAttribute[]): ParsedNode {
  return { name, value, attributes, children: [] };
}

/**
 * Parses a legacy reply datagram: both forms of PROTOCOL.md 3, a tree reply
 * (`CODE REASON\n`, node lines, one empty line) and a single-line transport
 * error (`CODE REASON\n` alone). The bytes are decoded as UTF-8 (invalid
 * sequences become U+FFFD).
 *
 * The text format is ambiguous; these rules decide:
 * - A raw newline inside a value cannot be told apart from a new node: each
 *   line is a node. The continuation becomes a value-only node (at the depth
 *   its leading indents say, see below).
 * - Depth = number of leading `indent` repetitions, but at most one more than
 *   the previous node's (a first node: 0). Extra indents stay in the text. A
 *   name or value that itself begins with the indent (a TAB by default, or
 *   spaces with `indent: '  '`) therefore reads one level deeper when the
 *   previous node allows it.
 * - `name:: ` is split at the FIRST `:: ` of the line (a value-only node whose
 *   value contains `:: ` reads as named). A line without `:: ` (also `a::`
 *   without the space) is a value-only node.
 * - Attributes: see the three rules below. In short, a value containing `=`
 *   after a space reads as attributes (`a b=c` is value `a`, attribute `b`=`c`);
 *   a value whose first `=` has no space before it (`k=v`, `sip:x;t=udp y=z`)
 *   is all value.
 * - An empty value reads as absent (`null`), so `{ value: '' }` and no value
 *   are the same on the wire.
 *
 * Attribute rule: {@link splitAttributes}.
 *
 * @throws {MiProtocolError} `INVALID_REPLY`: no status line, a status line not
 *   of the form `DDD` or `DDD REASON` (first digit 1–9), or a tree reply
 *   without its final empty line (truncated).
 */
export function parseReply(datagram: Uint8Array, options?: ParseReplyOptions): ParsedReply {
  const indent = options?.indent ?? '\t';
  const text = decodeAll(datagram);
  const nl = text.indexOf('\n');
  if (nl < 0) throw invalid('no status line (missing newline)', datagram.length);
  if (
    nl < 3 ||
    !isDigit(text.charCodeAt(0)) ||
    text.charCodeAt(0) === 0x30 ||
    !isDigit(text.charCodeAt(1)) ||
    !isDigit(text.charCodeAt(2)) ||
    (nl > 3 && text.charCodeAt(3) !== 0x20)
  ) {
    throw invalid('status line is not "CODE REASON"', 0);
  }
  const code = Number(text.slice(0, 3));
  const reason = nl > 3 ? text.slice(4, nl) : '';
  if (nl + 1 === text.length) return { form: 'line', code, reason, nodes: [] };

  // PROTOCOL.md 3: a tree reply is terminated by "\n\n" (the empty line).
  if (!text.endsWith('\n\n')) {
    throw invalid('reply does not end with an empty line (truncated?)', datagram.length);
  }
  const nodes: ParsedNode[] = [];
  const end = text.length - 1; // index of the final empty line's "\n"
  // levels[d] is the children array that a node at depth d is appended to.
  const levels: ParsedNode[][] = [nodes];
  let prevDepth = -1;
  let start = nl + 1;
  while (start < end) {
    const lineEnd = text.indexOf('\n', start);
    let depth = 0;
    let p = start;
    if (indent !== '') {
      while (depth <= prevDepth && text.startsWith(indent, p)) {
        depth++;
        p += indent.length;
      }
    }
    // `name:: ` ends at the first `:: ` of the line.
    let sep = text.indexOf(':: ', p);
    if (sep + 3 > lineEnd) sep = -1;
    const parsed =
      sep < 0
        ? parseNode(text, p, lineEnd, null)
        : parseNode(text, sep + 3, lineEnd, text.slice(p, sep));
    levels.length = depth + 1;
    levels[depth]!.push(parsed);
    levels.push(parsed.children);
    prevDepth = depth;
    start = lineEnd + 1;
  }
  return { form: 'tree', code, reason, nodes };
}
