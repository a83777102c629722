import type { Socket } from 'node:dgram';

/**
 * Stops a bound `dgram.Socket` from reading datagrams.
 *
 * `node:dgram` starts reading as soon as a socket is bound and has no public
 * way to stop. A primary process that binds a socket only to hand it to its
 * workers must not read from it, or it would consume (and drop) datagrams
 * meant for them: the kernel gives each datagram to whichever process reads
 * first. This is the one place where the package touches a Node.js internal:
 * the socket's state (`Symbol('state symbol')`) holds the libuv handle, whose
 * `recvStop()` is what `node:cluster` relies on. Returns false if that shape
 * is not found (then the caller warns); never throws.
 */
export function stopReceiving(socket: Socket): boolean {
  try {
    const symbol = Object.getOwnPropertySymbols(socket).find(
      (candidate) => candidate.description === 'state symbol',
    );
    if (symbol === undefined) return false;
    const state: unknown = (socket as unknown as Record<symbol, unknown>)[symbol];
    if (typeof state !== 'object' || state === null) return false;
    const handle: unknown = (state as { handle?: unknown }).handle;
    if (typeof handle !== 'object' || handle === null) return false;
    const recvStop: unknown = (handle as { recvStop?: unknown }).recvStop;
    if (typeof recvStop !== 'function') return false;
    const result: unknown = recvStop.call(handle);
    return result === 0 || result === undefined;
  } catch {
    return false;
  }
}
