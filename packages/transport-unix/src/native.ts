import {
  addonCandidates,
  detectLibc,
  type Libc,
  PREBUILT_TAGS,
  packageDirectory,
  requireFirst,
  SOURCE_BUILD,
} from './addon-path.js';
import { UnixTransportError } from './errors.js';

/**
 * Receives one batch of `count` datagrams. A copying socket gets a fresh
 * `buffer` holding `count` headers of two int32 each (bytes present, flags:
 * bit 0 = truncated), the datagram bytes back to back, then `count` pairs of
 * int32 (sender uid, sender gid; -1 when unknown). An in-place
 * socket (poll's `inPlace`) gets the receive arena itself: datagram i at
 * `i * SLOT_SIZE`, its header at `ARENA_META_OFFSET + 8 * i` and its sender's uid, gid at `ARENA_CREDS_OFFSET + 8 * i`, valid until the
 * callback returns. `peers` is the sender itself when `count` is 1, else one
 * sender per datagram; `undefined` stands for the sender of the datagram
 * delivered just before on this socket. When `buffer` is null, `errno` is a
 * negative libuv/errno code for a receive failure.
 */
export type NativeBatchCallback = (
  buffer: ArrayBuffer | null,
  count: number,
  peers: NativePeers,
  errno: number,
) => void;

/** A sender (`undefined`: the previous one on this socket), or one per datagram. */
export type NativePeers = string | null | undefined | ReadonlyArray<string | null | undefined>;

/** The C object (native/unix_dgram.c); it owns one descriptor. */
export interface NativeSocket {
  bind(path: string): void;
  /** 0 or a negative errno; never throws for a syscall failure. `null` dissolves the association. */
  connect(path: string | null): number;
  /**
   * Bytes sent or a negative errno (`-EAGAIN` when the send would block).
   * `peer` null: to the connected peer. `uid`: the requester's uid; when it is not
   * ours, a socket file is only written to if that uid owns it (else `-EACCES`).
   */
  send(data: Uint8Array, peer: string | null, uid?: number): number;
  /**
   * Sends from index `start` of the three lists (at most `count`, at most
   * MAX_BATCH): how many went out, or a negative errno for the datagram at
   * `start` when none did (`-EAGAIN`: would block). The leading datagrams whose
   * requester (`uids[i]`, -1: unknown) is root or us go out in one `sendmmsg`;
   * one of another uid ends that run, and is sent alone, under the check of
   * {@link send}, when it comes first. A peer that is not a socket address ends
   * the run before it, or throws a TypeError when it comes first.
   */
  sendMany(
    datas: readonly Uint8Array[],
    peers: readonly string[],
    uids: readonly number[],
    start: number,
    count: number,
  ): number;
  /**
   * On a duplicated UDP descriptor: bytes sent to `address` (an IP literal of
   * the socket's family), `port`, or a negative errno; `-EINVAL` when the
   * address is not such a literal. Received senders read `"<port> <address>"`.
   */
  sendInet(data: Uint8Array, address: string, port: number): number;
  /**
   * One `sendmmsg` of the first `count` (at most MAX_BATCH) datagrams: how
   * many were sent, or a negative errno when none was (`-EINVAL`: the first
   * address is not a literal of the socket's family; such an address later on
   * ends the batch before it).
   */
  sendInetMany(
    datas: readonly Uint8Array[],
    addresses: readonly string[],
    ports: readonly number[],
    count: number,
  ): number;
  /**
   * Sets owner and mode of the socket file just bound at `path` through a handle
   * proven to be that file (never by path); `[dev, ino]` of it. Throws `NOT_OUR_SOCKET`.
   */
  ownFile(
    path: string,
    uid: number,
    gid: number,
    mode: number,
    expectedMode: number,
  ): [bigint, bigint];
  /**
   * Datagrams longer than `maxLength` (≤ SLOT_SIZE, 65536) are cut to it and flagged truncated.
   * `callback` runs in the async context of this call (AsyncLocalStorage), with the socket
   * object as its receiver.
   */
  poll(callback: NativeBatchCallback, batch: number, maxLength: number, inPlace: boolean): void;
  ref(): void;
  unref(): void;
  close(): void;
  /** -1 once closed. */
  fd(): number;
  localAddress(): string | null;
  setBufferSizes(receive: number, send: number): void;
  bufferSizes(): [number, number];
}

export interface NativeBinding {
  /**
   * A new AF_UNIX socket, or one adopting descriptor `fd`; with `duplicate`,
   * a descriptor of its own for the socket behind `fd` (which may then also
   * be an AF_INET/AF_INET6 datagram socket; `fd` stays the caller's).
   */
  readonly UnixDatagramSocket: new (
    fd?: number,
    duplicate?: boolean,
  ) => NativeSocket;
  lookupUser(name: string): [uid: number, gid: number] | null;
  lookupGroup(name: string): number | null;
  readonly constants: {
    readonly SUN_PATH_MAX: number;
    readonly SLOT_SIZE: number;
    readonly MAX_BATCH: number;
    readonly EAGAIN: number;
    readonly ARENA_META_OFFSET: number;
    readonly ARENA_CREDS_OFFSET: number;
  };
}

/** Views of the addon's receive arena for in-place batches (see {@link NativeBatchCallback}). */
export interface ArenaViews {
  /** (bytes present, flags) of datagram i at 2i, 2i + 1. */
  readonly meta: Int32Array;
  /** (sender uid, sender gid) of datagram i at 2i, 2i + 1. */
  readonly creds: Int32Array;
}

/** One arena per thread: new views only if the arena was replaced. */
let arenaViews: ArenaViews | undefined;

export function arenaViewsOf(arena: ArrayBuffer): ArenaViews {
  if (arenaViews === undefined || arenaViews.meta.buffer !== arena) {
    const { ARENA_META_OFFSET, ARENA_CREDS_OFFSET, MAX_BATCH } = loadNative().constants;
    arenaViews = {
      meta: new Int32Array(arena, ARENA_META_OFFSET, MAX_BATCH * 2),
      creds: new Int32Array(arena, ARENA_CREDS_OFFSET, MAX_BATCH * 2),
    };
  }
  return arenaViews;
}

let binding: NativeBinding | undefined;

/**
 * Loads the addon on first use (a process that opens no UNIX socket never
 * loads it): a source build in build/Release if there is one, else the
 * prebuilt binary for this platform (see addon-path.ts).
 */
export function loadNative(): NativeBinding {
  if (binding !== undefined) return binding;
  const platform = `${process.platform}-${process.arch}`;
  let found: ReturnType<typeof requireFirst>;
  let libc: Libc | undefined;
  try {
    libc = detectLibc();
    found = requireFirst(addonCandidates(packageDirectory(), process.platform, process.arch, libc));
  } catch (err) {
    found = { failures: [{ file: SOURCE_BUILD, reason: String(err) }] };
  }
  if ('module' in found) {
    binding = found.module as NativeBinding;
    return binding;
  }
  const tried = found.failures.map((f) => `${f.file}: ${f.reason}`).join('; ');
  throw new UnixTransportError(
    'ADDON_NOT_LOADED',
    `UNIX sockets are unavailable: the @mi-datagram/transport-unix addon could not be loaded on ${platform}${libc ? `-${libc}` : ''} ` +
      `(prebuilt for ${PREBUILT_TAGS.join(', ')}; elsewhere build it from source, see the package README) ` +
      `[tried ${tried}]`,
    { cause: found.failures },
  );
}
