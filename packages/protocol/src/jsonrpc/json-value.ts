/**
 * The JSON data model of the JSON-RPC side (PROTOCOL.md 5).
 *
 * Integers outside the IEEE-754 safe range (|n| > 2^53 - 1, written without
 * fraction or exponent) are `bigint`, so a 64-bit id such as
 * `18446744073709551616` survives parse → encode unchanged. Objects produced
 * by {@link safeJsonParse} and by this package have a `null` prototype.
 */

export type JsonPrimitive = string | number | bigint | boolean | null;
export type JsonArray = readonly JsonValue[];
export interface JsonObject {
  readonly [key: string]: JsonValue;
}
export type JsonValue = JsonPrimitive | JsonArray | JsonObject;

/** True for a JSON array. (`Array.isArray` does not narrow a union holding a readonly array.) */
export function isJsonArray(value: JsonValue): value is JsonArray {
  return Array.isArray(value);
}

/** True for a JSON object (not an array, not `null`). */
export function isJsonObject(value: JsonValue): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A writable object with no prototype: keys such as `__proto__` are plain own properties. */
export function createJsonObject(): Record<string, JsonValue> {
  const object: Record<string, JsonValue> = Object.create(null);
  return object;
}

/**
 * Adds an own, enumerable data property. `defineProperty` never runs a
 * setter, so a key named `__proto__` cannot change a prototype even on an
 * ordinary object.
 */
export function setJsonField(
  object: Record<string, JsonValue>,
  key: string,
  value: JsonValue,
): void {
  Object.defineProperty(object, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

/** Builds a null-prototype {@link JsonObject} from `[key, value]` pairs (a later duplicate wins). */
export function jsonObject(entries: Iterable<readonly [string, JsonValue]>): JsonObject {
  const object = createJsonObject();
  for (const [key, value] of entries) setJsonField(object, key, value);
  return object;
}

/** The own property `key` of `object`, never an inherited one (`constructor`, `__proto__`). */
export function ownField(object: JsonObject, key: string): JsonValue | undefined {
  return Object.hasOwn(object, key) ? object[key] : undefined;
}
