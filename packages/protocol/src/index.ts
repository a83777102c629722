export * from './events/index.js';
export * from './jsonrpc/index.js';
export * from './legacy/index.js';
export type * from './transport.js';
export type * from './tree.js';
