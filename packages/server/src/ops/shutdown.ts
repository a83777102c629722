/** Longest wait for in-flight handlers and queued replies at shutdown (the CLI's drain grace). */
export const SHUTDOWN_GRACE_MS = 5000;
