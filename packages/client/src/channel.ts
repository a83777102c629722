/**
 * A reply channel: one bound reply socket talking to one target. The legacy protocol has no
 * request id (PROTOCOL.md 1), so a channel carries at most one outstanding request at a time and
 * the client never pairs replies by order.
 */

import { Buffer } from 'node:buffer';
import type { SendOutcome, SocketName } from '@mi-datagram/protocol';
import type { UdpTransport } from '@mi-datagram/transport-udp';
import type { UnixTransport } from '@mi-datagram/transport-unix';

/** The request in flight on a channel: an object with methods, not a pair of closures per call. */
export interface ChannelOwner {
  /**
   * A datagram that came from the target (datagrams from anyone else are dropped). `data` is the
   * transport's view, valid for this call only: an owner that keeps bytes copies them.
   */
  reply(data: Uint8Array, truncated: boolean): void;
  /** A socket-level failure (with the system error when the transport reports one). */
  failed(error: unknown): void;
}

/**
 * A reply socket, unref'd from the start: it never keeps the process alive on its own (the client
 * does while calls are in flight).
 */
export interface Channel {
  /** Sends `data` as given: pass {@link sendable} bytes (small ones on the V8 heap are slow). */
  send(data: Uint8Array): SendOutcome;
  /** The request in flight; `null` while idle (stray datagrams are dropped). */
  owner: ChannelOwner | null;
  /** The last error the transport reported, cleared by the client before each send. */
  lastError: unknown;
  close(): Promise<void>;
}

/** Where requests go: a resolved `socket_name`. */
export type ResolvedTarget =
  | { readonly kind: 'unix'; readonly path: string }
  | {
      readonly kind: 'udp';
      readonly address: string;
      readonly port: number;
      readonly family: 4 | 6;
    };

export interface ChannelOptions {
  /** Directory for UNIX reply sockets (the transport's default when absent). */
  readonly socketDir?: string | undefined;
  /** How long the transport retries a request on a full server queue (ms). */
  readonly socketTimeout: number;
}

/**
 * Resolves a parsed `socket_name` once: host names are looked up here, never per call. The UDP
 * code (node:dgram, node:dns, node:net) is loaded only for a UDP target.
 */
export async function resolveTarget(parsed: SocketName): Promise<ResolvedTarget> {
  if (parsed.kind === 'unix') return { kind: 'unix', path: parsed.path };
  const { resolveUdpTarget } = await import('./channel-udp.js');
  return resolveUdpTarget(parsed);
}

/** V8 keeps typed arrays up to this many bytes on its heap (typed_array_max_size_in_heap). */
const ON_HEAP_MAX = 64;

/**
 * The request bytes as a channel sends them. A fresh Uint8Array of up to 64 bytes (most requests)
 * lives on the V8 heap; the transports hand the bytes to the kernel through its ArrayBuffer, which
 * V8 then moves to a malloc'd backing store of its own (malloc, registry, sweeping, free: more than
 * the rest of the send path). Node's shared Buffer pool takes small copies without an allocation
 * each. The result is never written to (neither here nor by the transports, which may keep it
 * while a send is retried), so one result may be sent any number of times.
 */
export function sendable(data: Uint8Array): Uint8Array {
  return data.byteLength <= ON_HEAP_MAX ? Buffer.from(data) : data;
}

export class TransportChannel implements Channel {
  owner: ChannelOwner | null = null;
  lastError: unknown = undefined;
  private transport: UnixTransport | UdpTransport | undefined;
  private sendTo: (data: Uint8Array) => SendOutcome = () => 'dropped';

  attach(transport: UnixTransport | UdpTransport, sendTo: (data: Uint8Array) => SendOutcome): void {
    this.transport = transport;
    // Unref'd once, for good: ref/unref per call were two native calls each time.
    transport.unref();
    this.sendTo = sendTo;
  }

  deliver(data: Uint8Array, truncated: boolean): void {
    // No copy here: the view is valid during this call only (UNIX reply sockets receive in
    // place), and parsing it needs no copy; the client copies what it keeps (ChannelOwner.reply).
    this.owner?.reply(data, truncated);
  }

  fail(error: unknown): void {
    this.lastError = error;
    this.owner?.failed(error);
  }

  send(data: Uint8Array): SendOutcome {
    // The client passes {@link sendable} bytes (converted once per encoding, not per send).
    return this.sendTo(data);
  }

  async close(): Promise<void> {
    this.owner = null;
    await this.transport?.close();
  }
}

/** Opens a fresh reply socket for `target`. Rejects with the system error if it cannot be bound. */
export async function openChannel(
  target: ResolvedTarget,
  options: ChannelOptions,
): Promise<Channel> {
  const channel = new TransportChannel();
  if (target.kind === 'unix') {
    // Loaded on first use: a UDP-only client never loads the native addon.
    const { openUnixReplySocket } = await import('@mi-datagram/transport-unix');
    const transport = await openUnixReplySocket({
      onMessage(data, peer, info) {
        // PROTOCOL.md 1: OpenSIPS answers UNIX requests from a second, unbound socket, so an
        // anonymous peer is the normal case. Our reply socket lives in a private directory.
        if (peer === target.path) {
          // A server that answers from its own address (ours does): connect to it, so that each
          // send skips the kernel's path lookup and the kernel keeps everyone else out. Never
          // before such a reply: a connected socket refuses OpenSIPS's anonymous replies.
          if (transport.connectedPeer === undefined) {
            try {
              transport.connect(target.path);
            } catch {
              // Gone or replaced meanwhile: sends go by address, as before.
            }
          }
        } else if (peer !== null) {
          return;
        }
        channel.deliver(data, info.truncated);
      },
      onError(error) {
        channel.fail(error);
      },
      socketTimeout: options.socketTimeout,
      // One reply per request: one datagram per wakeup, read in place (the client parses it at
      // once and copies what it keeps: ChannelOwner.reply).
      receiveBatchSize: 1,
      zeroCopy: true,
      ...(options.socketDir === undefined ? {} : { dir: options.socketDir }),
    });
    channel.attach(transport, (data) => transport.send(data, target.path));
    return channel;
  }
  const { openUdpChannel } = await import('./channel-udp.js');
  return openUdpChannel(channel, target, options);
}
