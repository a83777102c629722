/**
 * Milliseconds on a monotonic clock (the origin is arbitrary: compare two readings only).
 * process.hrtime rather than performance.now(): the `performance` global loads the
 * perf_hooks machinery on first use, a cost every `mi` call would pay (issue 16).
 */
export function nowMs(): number {
  const [seconds, nanoseconds] = process.hrtime();
  return seconds * 1e3 + nanoseconds / 1e6;
}
