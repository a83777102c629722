import type { TransportStats } from '@mi-datagram/protocol';

/** Counters of a {@link UdpTransport}: the shared {@link TransportStats} plus UDP details. */
export interface UdpTransportStats extends TransportStats {
  /**
   * (shared) Sends handed over while the socket's libuv send queue was not
   * empty, i.e. behind a datagram the kernel refused with EAGAIN and libuv
   * is retrying (the send returned `'queued'`).
   */
  readonly retried: number;
  /** (shared) Datagrams waiting in libuv's send queue for the kernel to accept them, right now. */
  readonly pending: number;
  /** Sends handed to `node:dgram` whose completion has not been reported yet. */
  readonly outstanding: number;
  /** Bytes of those outstanding sends. */
  readonly outstandingBytes: number;
  /** Of `dropped`: sends refused because `maxPendingReplies`/`maxPendingBytes` was reached. */
  readonly droppedPendingLimit: number;
  /** Of `dropped`: sends given up after `socketTimeout` ms. */
  readonly droppedTimeout: number;
  /** Of `dropped`: sends whose completion reported an error (kernel refused). */
  readonly droppedError: number;
  /** Of `dropped`: datagrams larger than 65457 bytes, never sent. */
  readonly droppedTooLarge: number;
  /** Of `dropped`: sends attempted after `close()`, or cancelled by it. */
  readonly droppedClosed: number;
  /** Sends given up after `socketTimeout` that the kernel accepted later anyway (not counted as `sent`). */
  readonly lateSent: number;
}
