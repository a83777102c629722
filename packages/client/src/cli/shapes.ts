/**
 * `--json` of a legacy reply: the tree → JSON mapping the server uses for JSON-RPC results
 * (`treeToJson`, PROTOCOL.md 5), then, for the few core commands whose OpenSIPS 2.x tree differs
 * from the OpenSIPS 3.x result, the 3.x shape (conformance/replies-opensips-{2.4,3.6}.txt):
 *
 * - `ps` and `log_level` without arguments: `Process::  ID=0 PID=42 Type=main` nodes →
 *   `{"Processes":[{"ID":0,"PID":42,"Type":"main"}]}` (ID, PID, Log level as numbers);
 * - `log_level` with arguments: `New global log level:: 3` → `{"New global log level":3}`,
 *   `New log level:: 2` (one process) → `{"Log level":2}`;
 * - `get_statistics`: integer values as numbers.
 *
 * So `mi --json ps` prints the same shape whichever generation the target is.
 */
import { type JsonValue, type MiNode, treeToJson } from '@mi-datagram/protocol';

const INTEGER = /^-?(?:0|[1-9]\d{0,14})$/;

function integerOr(text: string | null | undefined): JsonValue {
  if (text === null || text === undefined) return null;
  return INTEGER.test(text) ? Number(text) : text;
}

const NUMERIC_ATTRIBUTES: ReadonlySet<string> = new Set(['ID', 'PID', 'Log level']);

function processes(nodes: readonly MiNode[]): JsonValue | undefined {
  if (nodes.length === 0) return undefined;
  const list: JsonValue[] = [];
  for (const node of nodes) {
    if (node.name !== 'Process' || (node.children?.length ?? 0) > 0) return undefined;
    if (node.value !== null && node.value !== undefined && node.value !== '') return undefined;
    const entry: Record<string, JsonValue> = {};
    for (const [name, value] of node.attributes ?? []) {
      entry[name] = NUMERIC_ATTRIBUTES.has(name) ? integerOr(value) : value;
    }
    list.push(entry);
  }
  return { Processes: list };
}

function flatIntegers(
  nodes: readonly MiNode[],
  rename: Readonly<Record<string, string>> = {},
): JsonValue | undefined {
  const out: Record<string, JsonValue> = {};
  for (const node of nodes) {
    const name = node.name;
    if (typeof name !== 'string' || Object.hasOwn(out, name)) return undefined;
    if ((node.children?.length ?? 0) > 0 || (node.attributes?.length ?? 0) > 0) return undefined;
    Object.defineProperty(out, rename[name] ?? name, {
      value: integerOr(node.value),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

/** The JSON result of a successful legacy reply to `command` (nodes non-empty). */
export function legacyResultJson(command: string, nodes: readonly MiNode[]): JsonValue {
  let shaped: JsonValue | undefined;
  if (command === 'ps') shaped = processes(nodes);
  else if (command === 'log_level') {
    const level = nodes.length === 1 ? nodes[0]?.name : undefined;
    shaped =
      level === 'New global log level' || level === 'New log level'
        ? flatIntegers(nodes, { 'New log level': 'Log level' })
        : processes(nodes);
  } else if (command === 'get_statistics') shaped = flatIntegers(nodes);
  return shaped ?? treeToJson(nodes);
}
