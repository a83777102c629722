/**
 * The datagram transport contract shared by `@mi-datagram/transport-unix`,
 * `@mi-datagram/transport-udp`, the server and the client. Types only: the
 * protocol package holds no I/O; each transport package implements this.
 */

/** Metadata delivered with each received datagram. */
export interface DatagramInfo {
  /**
   * The datagram was larger than the receive buffer and was cut
   * (MSG_TRUNC). `data` then holds only the first bytes: never treat it as
   * the whole request.
   */
  readonly truncated: boolean;
}

/** Called once per received datagram, in arrival order. */
export type DatagramHandler<Peer> = (data: Uint8Array, peer: Peer, info: DatagramInfo) => void;

/** What happened to a reply handed to {@link DatagramTransport.send}. */
export type SendOutcome =
  /** Handed to the kernel. */
  | 'sent'
  /** The peer's queue was full (EAGAIN); it will be retried until `socketTimeout` ms pass. */
  | 'queued'
  /** Not sent and never will be (pending limit reached, peer unreachable, transport closed). */
  | 'dropped';

/** Counters every transport keeps; all start at 0. */
export interface TransportStats {
  readonly received: number;
  readonly truncated: number;
  readonly sent: number;
  /** Replies that hit EAGAIN at least once. */
  readonly retried: number;
  /** Replies given up (timeout, pending limit, unreachable peer, closed). */
  readonly dropped: number;
  /** Replies waiting for a retry right now. */
  readonly pending: number;
}

/** A bound datagram socket: the one contract both transports implement. */
export interface DatagramTransport<Peer> {
  /** Printable local address in `socket_name` form (`/path`, `udp:127.0.0.1:8080`, `udp:[::1]:8080`). */
  readonly address: string;
  /** Sends one datagram to `peer` with the socket_timeout retry policy. Never throws for a full peer queue. */
  send(data: Uint8Array, peer: Peer): SendOutcome;
  /** Stops receiving, drops pending replies, releases the socket (and the socket file we created). Idempotent. */
  close(): Promise<void>;
  /** Keep the event loop alive while the socket is open (default). */
  ref(): void;
  /** Let the process exit even though the socket is open. */
  unref(): void;
  stats(): TransportStats;
}
