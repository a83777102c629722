/**
 * Named parameters for legacy text calls: the OpenSIPS 3 command model
 * (PROTOCOL.md 5.1) reads `name::value` lines as named parameters, so a
 * params object can be sent over either protocol.
 */
import type { RequestArgumentInput } from '@mi-datagram/protocol';

/** A named param's value: text, a number, or a list (one `name::item` line per item). */
export type MiParamValue =
  | string
  | number
  | bigint
  | boolean
  | Uint8Array
  | null
  | readonly (string | number | bigint | Uint8Array)[];

/** Named params: `{ system: 'local', attr: 'k' }`. `null` sends the name without a value. */
export type MiNamedParams = { readonly [name: string]: MiParamValue | undefined };

function text(value: unknown, name: string): string | Uint8Array {
  if (typeof value === 'string' || value instanceof Uint8Array) return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') {
    return String(value);
  }
  throw new TypeError(`param ${JSON.stringify(name)}: a value must be a string, number or bytes`);
}

/**
 * The legacy arguments of named params, in the object's key order: one
 * `name::value` line per param; a list gives one line per item (the server
 * gathers them into its `string[]` parameter); `null` gives `name::` (no
 * value); `undefined` members are skipped.
 *
 * @throws TypeError for a value that is none of {@link MiParamValue}.
 */
export function namedParamsToArguments(params: MiNamedParams): RequestArgumentInput[] {
  const out: RequestArgumentInput[] = [];
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined) continue;
    if (value === null) {
      out.push({ name, value: null });
    } else if (Array.isArray(value)) {
      for (const item of value as readonly unknown[]) out.push({ name, value: text(item, name) });
    } else {
      out.push({ name, value: text(value, name) });
    }
  }
  return out;
}

/** True for named params (a plain object), false for a list of arguments. */
export function isNamedParams(args: unknown): args is MiNamedParams {
  return (
    typeof args === 'object' &&
    args !== null &&
    !Array.isArray(args) &&
    !(args instanceof Uint8Array)
  );
}

/** The argument list of a legacy call: a list as it is, named params converted; `undefined` stays. */
export function legacyArgumentList(
  args: readonly RequestArgumentInput[] | MiNamedParams | undefined,
): readonly RequestArgumentInput[] | undefined {
  if (args === undefined || Array.isArray(args)) return args as readonly RequestArgumentInput[];
  return namedParamsToArguments(args as MiNamedParams);
}
