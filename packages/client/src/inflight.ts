import { nowMs } from './clock.js';
import type { PendingCall } from './pending-call.js';

/** setTimeout's limit. */
export const MAX_TIMER = 2 ** 31 - 1;

/**
 * A call counts as timed out this close to its deadline: the shared timer runs on the event
 * loop's millisecond clock and may fire a fraction of a millisecond early.
 */
const DEADLINE_SLACK_MS = 1;

/**
 * The calls in flight of one client and their deadlines.
 *
 * A list, unordered (each call knows its index, removal swaps the last one in). Not a Set: a Set
 * churned at this rate keeps chains of its dead hash tables in old space, each holding the calls
 * it once contained, so every call's garbage survived scavenges and was promoted.
 *
 * One timer for all calls, armed for the earliest deadline (not a setTimeout per call). With one
 * timeout for all calls a new call's deadline is never the earliest, so the timer is re-armed
 * about once per timeout period. It is armed whenever calls are in flight and ref'd exactly then:
 * it is what keeps the process alive for them (reply sockets are unref'd for good, not ref'd and
 * unref'd per call).
 */
export class InflightCalls {
  private readonly calls: PendingCall[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** When the armed timer fires (`nowMs()` clock); +Infinity when none is armed. */
  private timerAt = Number.POSITIVE_INFINITY;

  /** `expired` ends a call whose deadline came (it must {@link remove} it). */
  constructor(private readonly expired: (call: PendingCall) => void) {}

  /** A copy of the list (ending calls changes it). */
  snapshot(): PendingCall[] {
    return [...this.calls];
  }

  add(call: PendingCall, now: number): void {
    call.index = this.calls.length;
    this.calls.push(call);
    if (call.deadline < this.timerAt) this.arm(call.deadline, now);
    else if (call.index === 0) this.timer?.ref();
  }

  remove(call: PendingCall): void {
    const last = this.calls.pop();
    if (last !== undefined && last !== call) {
      this.calls[call.index] = last;
      last.index = call.index;
    }
    call.index = -1;
    // Nothing in flight: the armed timer (for a deadline now gone) must not keep the process alive.
    if (this.calls.length === 0) this.timer?.unref();
  }

  /** Only with calls in flight: the timer is ref'd, and keeps the process alive for them. */
  private arm(deadline: number, now: number): void {
    this.disarm();
    this.timerAt = deadline;
    this.timer = setTimeout(this.onTimer, Math.min(Math.max(deadline - now, 0), MAX_TIMER));
  }

  disarm(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
  }

  /** Times out the calls whose deadline came and arms the timer for the next one. */
  private readonly onTimer = (): void => {
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
    const now = nowMs();
    let next = Number.POSITIVE_INFINITY;
    for (const call of [...this.calls]) {
      if (call.index === -1) continue; // ended by an earlier one's timeout
      if (call.deadline - now < DEADLINE_SLACK_MS) this.expired(call);
      else if (call.deadline < next) next = call.deadline;
    }
    if (next < this.timerAt) this.arm(next, now);
  };
}
