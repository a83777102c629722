import type { Channel, ChannelOwner } from './channel.js';
import type { MiReply } from './client-types.js';
import { MiClientError } from './errors.js';
import type { MiJsonRpcReply } from './jsonrpc.js';

export type CallResult = MiReply | MiJsonRpcReply;

/** What a call's reply socket and signal report, handled by the client (one object per client). */
export interface CallHost {
  reply(call: PendingCall, data: Uint8Array, truncated: boolean): void;
  failed(call: PendingCall): void;
  aborted(call: PendingCall): void;
}

const unsettled = (): void => {};

/**
 * A call in flight: all its state in one object, with methods instead of closures per call. It owns
 * its reply socket while the call lasts (ChannelOwner) and listens to the call's signal, if any.
 */
export class PendingCall implements ChannelOwner {
  resolve: (value: CallResult) => void = unsettled;
  reject: (error: MiClientError) => void = unsettled;
  settled = false;
  /** A failure of the send or socket is being diagnosed (the call ends once that is done). */
  diagnosing = false;
  /** The reply socket, once one was taken from the pool or opened. */
  channel: Channel | undefined = undefined;
  /** Slot in the client's list of calls in flight; -1 once the call ended. */
  index = -1;

  constructor(
    private readonly host: CallHost,
    readonly request: Uint8Array,
    /** The JSON-RPC request id; `undefined` for a legacy call. */
    readonly jsonRpcId: number | undefined,
    /** The call's timeout (ms) and its deadline on the `nowMs()` clock. */
    readonly timeout: number,
    readonly deadline: number,
    readonly signal: AbortSignal | undefined,
  ) {}

  reply(data: Uint8Array, truncated: boolean): void {
    this.host.reply(this, data, truncated);
  }

  failed(): void {
    this.host.failed(this);
  }

  /** The signal's `abort` event (the call is its listener object: no closure per call). */
  handleEvent(): void {
    this.host.aborted(this);
  }
}

/** The call whose promise is being created: {@link captureSettlers} needs no closure per call. */
let capturing: PendingCall | undefined;

function captureSettlers(
  resolve: (value: CallResult) => void,
  reject: (error: MiClientError) => void,
): void {
  if (capturing === undefined) return;
  capturing.resolve = resolve;
  capturing.reject = reject;
}

/** The promise `call` settles with (its settlers are stored on the call, no closure made). */
export function promiseOf(call: PendingCall): Promise<CallResult> {
  capturing = call;
  const promise = new Promise<CallResult>(captureSettlers);
  capturing = undefined;
  return promise;
}

export function settle(call: PendingCall, result: CallResult | MiClientError): void {
  if (result instanceof MiClientError) call.reject(result);
  else call.resolve(result);
}
