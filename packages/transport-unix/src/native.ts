import { createRequire } from 'node:module';
import { UnixTransportError } from './errors.js';

/**
 * Receives one batch: `buffer` holds `count` headers of two int32 each
 * (bytes present, flags: bit 0 = truncated) followed by the datagram bytes
 * back to back; `peers[i]` is the sender of datagram i. When `buffer` is null,
 * `errno` is a negative libuv/errno code for a receive failure.
 */
export type NativeBatchCallback = (
  buffer: ArrayBuffer | null,
  count: number,
  peers: ReadonlyArray<string | null> | null,
  errno: number,
) => void;

/** The C object (native/unix_dgram.c); it owns one descriptor. */
export interface NativeSocket {
  bind(path: string): void;
  /** 0 or a negative errno; never throws for a syscall failure. */
  connect(path: string): number;
  /** Bytes sent or a negative errno (`-EAGAIN` when the send would block). */
  send(data: Uint8Array, peer: string): number;
  /** Datagrams longer than `maxLength` (≤ SLOT_SIZE, 65536) are cut to it and flagged truncated. */
  poll(callback: NativeBatchCallback, batch: number, maxLength: number): void;
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
  readonly UnixDatagramSocket: new (fd?: number) => NativeSocket;
  lookupUser(name: string): [uid: number, gid: number] | null;
  lookupGroup(name: string): number | null;
  readonly constants: {
    readonly SUN_PATH_MAX: number;
    readonly SLOT_SIZE: number;
    readonly MAX_BATCH: number;
    readonly EAGAIN: number;
  };
}

let binding: NativeBinding | undefined;

/** Loads build/Release/unix_dgram.node (built by node-gyp at install time). */
export function loadNative(): NativeBinding {
  if (binding !== undefined) return binding;
  // src/ and dist/ are siblings of build/, so one relative path serves both.
  const require = createRequire(import.meta.url);
  try {
    binding = require('../build/Release/unix_dgram.node') as NativeBinding;
  } catch (err) {
    throw new UnixTransportError(
      'ADDON_NOT_LOADED',
      'the @mi-datagram/transport-unix addon is not built or failed to load ' +
        '(needs python3, make and a C compiler; rebuild with `pnpm rebuild @mi-datagram/transport-unix`): ' +
        (err instanceof Error ? err.message.split('\n')[0] : String(err)),
      { cause: err },
    );
  }
  return binding;
}
