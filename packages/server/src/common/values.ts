/** Small runtime type guards shared by the server's modules. */

/** A non-null, non-array object (e.g. parsed JSON or an IPC payload) whose fields are still unchecked. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Something to await: a handler that returned a promise (or any thenable object). */
export function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
