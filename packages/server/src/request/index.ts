/**
 * The request path: `MiServer` over attached transports, and the steps a
 * datagram goes through (src/request/pipeline.ts): classify, legacy or
 * JSON-RPC, look up, guard, run, encode, send.
 */

export {
  abortLeadMs,
  DEFAULT_COMMAND_TIMEOUT_MS,
  type HandlerAbortCode,
  HandlerAbortError,
  MAX_COMMAND_TIMEOUT_MS,
} from './deadline.js';
export { type GateStats, OPERATOR_MODULES } from './gate.js';
export {
  DEFAULT_WORK_LIMITS,
  type InFlightStats,
  MIN_IN_FLIGHT_BYTES,
  REQUEST_OVERHEAD_BYTES,
  type WorkLimits,
} from './limits.js';
export {
  type AttachOptions,
  MiServer,
  type MiServerOptions,
  type MiServerStats,
  type RequestGuard,
} from './server.js';
