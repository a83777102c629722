/**
 * The reply tree: what a command returns and what the reply encoders write
 * (legacy text, PROTOCOL.md 3; JSON-RPC, PROTOCOL.md 5).
 */

/** One `[name, value]` attribute, written as ` name=value` after the node (PROTOCOL.md 3). */
export type MiAttribute = readonly [name: string, value: string];

/** One node of a reply tree. Every field is optional: a node may have a name, a value, both or neither. */
export interface MiNode {
  /** Written as `name:: ` before the value. Absent (`undefined`/`null`): a value-only node. */
  readonly name?: string | null | undefined;
  /** Written raw, never quoted or escaped. */
  readonly value?: string | null | undefined;
  readonly attributes?: readonly MiAttribute[] | null | undefined;
  readonly children?: readonly MiNode[] | null | undefined;
}

/** A complete reply: status line and tree. */
export interface MiReplyTree {
  /** Decimal status: 200 success, 4xx client errors, 5xx server errors. */
  readonly code: number;
  /** Free text, may be empty (`OK` on success). */
  readonly reason: string;
  readonly nodes: readonly MiNode[];
}
