/**
 * The request path: `MiServer` over attached transports, and the steps a
 * datagram goes through (src/request/pipeline.ts): classify, legacy or
 * JSON-RPC, look up, guard, run, encode, send.
 */
export {
  type AttachOptions,
  MiServer,
  type MiServerOptions,
  type MiServerStats,
  type RequestGuard,
} from './server.js';
