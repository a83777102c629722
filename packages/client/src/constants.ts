/** Default per-call timeout in ms (the `mi` CLI's `--timeout` default too). */
export const DEFAULT_TIMEOUT = 2000;
/** Idle reply sockets a client keeps for reuse by default. */
export const DEFAULT_MAX_IDLE_SOCKETS = 16;
