/**
 * Step "run": calls a command's handler, waits for it (at most its deadline)
 * when it is asynchronous, gives its slot back, and times it.
 */
import type { DatagramTransport } from '@mi-datagram/protocol';
import { constantReplyKey, type MiRequest, type RegisteredCommand } from '../commands/index.js';
import { isThenable } from '../common/index.js';
import { sendFailure, sendResult } from './encode.js';
import type { GatedRun } from './gate.js';
import { sendError } from './send.js';
import type { RequestState } from './state.js';

/**
 * Runs `entry`'s handler on `request` and has its outcome encoded and sent.
 * `run`: its slot and deadline (src/request/gate.ts). `started`: the
 * `performance.now()` read before the bound (the latency's start).
 */
export function runCommand<Peer>(
  ctx: RequestState,
  transport: DatagramTransport<Peer>,
  peer: Peer,
  entry: RegisteredCommand,
  request: MiRequest,
  run: GatedRun,
  started: number,
): void {
  const gate = ctx.gate;
  // `which NAME` answers recipes, not the cacheable list: only calls without arguments.
  const cacheKey = request.args.length === 0 ? constantReplyKey(ctx.registry, entry) : null;
  let result: unknown;
  try {
    result = entry.handler(request);
  } catch (error) {
    gate.settle(run);
    sendFailure(ctx, transport, peer, entry, error);
    ctx.metrics.recordCall(entry.name, started);
    return;
  }
  if (isThenable(result)) {
    ctx.started();
    // Past its deadline the slot is freed and the client told; a result that
    // comes later is dropped (gate.settle is false then).
    gate.arm(run, entry, () => {
      ctx.settled();
      sendError(ctx, transport, peer, 'COMMAND_TIMED_OUT');
      ctx.metrics.recordCall(entry.name, started);
    });
    Promise.resolve(result).then(
      (value) => {
        if (!gate.settle(run)) return;
        ctx.settled();
        sendResult(ctx, transport, peer, entry, value, cacheKey);
        ctx.metrics.recordCall(entry.name, started);
      },
      (error: unknown) => {
        if (!gate.settle(run)) return;
        ctx.settled();
        sendFailure(ctx, transport, peer, entry, error);
        ctx.metrics.recordCall(entry.name, started);
      },
    );
    return;
  }
  gate.settle(run);
  sendResult(ctx, transport, peer, entry, result, cacheKey);
  ctx.metrics.recordCall(entry.name, started);
}
