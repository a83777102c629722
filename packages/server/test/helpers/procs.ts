/** The process table, read from /proc: to prove no process is left behind. */
export { childrenOf, isAlive, waitFor } from '@mi-datagram/test-helpers';
