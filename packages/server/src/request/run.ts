/** Step "run": calls a command's handler, waits for it when it is asynchronous, and times it. */
import type { DatagramTransport } from '@mi-datagram/protocol';
import type { MiRequest, RegisteredCommand } from '../commands/index.js';
import { isThenable } from '../common/index.js';
import { sendFailure, sendResult } from './encode.js';
import type { RequestState } from './state.js';

/**
 * Runs `entry`'s handler on `request` and has its outcome encoded and sent.
 * `started`: the `performance.now()` of the guard (the latency's start).
 */
export function runCommand<Peer>(
  ctx: RequestState,
  transport: DatagramTransport<Peer>,
  peer: Peer,
  entry: RegisteredCommand,
  request: MiRequest,
  started: number,
): void {
  let result: unknown;
  try {
    result = entry.handler(request);
  } catch (error) {
    sendFailure(ctx, transport, peer, entry, error);
    ctx.metrics.recordCall(entry.name, started);
    return;
  }
  if (isThenable(result)) {
    ctx.started();
    Promise.resolve(result).then(
      (value) => {
        ctx.settled();
        sendResult(ctx, transport, peer, entry, value);
        ctx.metrics.recordCall(entry.name, started);
      },
      (error: unknown) => {
        ctx.settled();
        sendFailure(ctx, transport, peer, entry, error);
        ctx.metrics.recordCall(entry.name, started);
      },
    );
    return;
  }
  sendResult(ctx, transport, peer, entry, result);
  ctx.metrics.recordCall(entry.name, started);
}
