/**
 * `@mi-datagram/test-helpers`: what the tests of several packages need, in
 * one place. Only tests import it (it is private and never built).
 */
export { childrenOf, isAlive, openFds, ownSockets, type SocketKind } from './procs.js';
export { pythonBytes, readPythonBytes } from './python-bytes.js';
export { type Running, type RunOptions, type RunResult, runNode } from './run.js';
export { killStarted, type NodeRun, startNode, waitForLine } from './start.js';
export { makeTempDir, type TempDir } from './temp.js';
export { sleep, waitFor } from './wait.js';
