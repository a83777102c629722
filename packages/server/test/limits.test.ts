/** The in-flight bound and the handler deadlines as units (issue 15). */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { sourceOf } from '../src/access/index.js';
import {
  abortLeadMs,
  DEFAULT_COMMAND_TIMEOUT_MS,
  HandlerAbortError,
  HandlerRun,
  RunTracker,
} from '../src/request/deadline.js';
import { ThrottledEvents, WorkGate } from '../src/request/gate.js';
import {
  DEFAULT_WORK_LIMITS,
  InFlightLimiter,
  MIN_IN_FLIGHT_BYTES,
  REQUEST_OVERHEAD_BYTES,
  type WorkLimits,
} from '../src/request/limits.js';

const limits = (overrides: Partial<WorkLimits>): WorkLimits => ({
  ...DEFAULT_WORK_LIMITS,
  ...overrides,
});

describe('InFlightLimiter', () => {
  it('admits up to the count, refuses beyond, admits again after a release', () => {
    const l = new InFlightLimiter(limits({ maxInFlight: 4, sourceShare: 100 }));
    for (let i = 0; i < 4; i++) expect(l.tryAcquire('a', 10, 'normal')).not.toBeNull();
    expect(l.tryAcquire('a', 10, 'normal')).toBeNull();
    expect(l.tryAcquire('b', 10, 'normal')).toBeNull();
    expect(l.stats()).toMatchObject({ inFlight: 4, busy: 2, busySource: 0, peakInFlight: 4 });
    l.release('a', 10, 'normal');
    expect(l.tryAcquire('b', 10, 'normal')).not.toBeNull();
    for (let i = 0; i < 3; i++) l.release('a', 10, 'normal');
    l.release('b', 10, 'normal');
    expect(l.stats()).toMatchObject({ inFlight: 0, inFlightBytes: 0, sources: 0 });
  });

  it('charges each request its datagram plus the overhead against the byte budget', () => {
    const budget = MIN_IN_FLIGHT_BYTES * 3;
    const l = new InFlightLimiter(
      limits({ maxInFlight: 1000, maxInFlightBytes: budget, sourceShare: 100 }),
    );
    const big = 60_000;
    let admitted = 0;
    while (l.tryAcquire('a', big, 'normal')) admitted++;
    expect(admitted).toBe(Math.floor(budget / (big + REQUEST_OVERHEAD_BYTES)));
    expect(l.stats().inFlightBytes).toBe(admitted * (big + REQUEST_OVERHEAD_BYTES));
    expect(l.stats().inFlightBytes).toBeLessThanOrEqual(budget);
    // Small requests still fit in what is left.
    expect(l.tryAcquire('a', 10, 'normal')).not.toBeNull();
  });

  it('keeps one source to its share of the count and of the bytes', () => {
    const l = new InFlightLimiter(
      limits({ maxInFlight: 100, maxInFlightBytes: 64 * 1024 * 1024, sourceShare: 25 }),
    );
    expect(l.perSourceCount).toBe(25);
    let a = 0;
    while (l.tryAcquire('flood', 100, 'normal')) a++;
    expect(a).toBe(25);
    expect(l.stats().busySource).toBe(1);
    // The others keep being served.
    expect(l.tryAcquire('other', 100, 'normal')).not.toBeNull();
    expect(l.tryAcquire('third', 100, 'normal')).not.toBeNull();

    const bytes = new InFlightLimiter(
      limits({ maxInFlight: 1000, maxInFlightBytes: 40 * 65_536, sourceShare: 25 }),
    );
    let n = 0;
    while (bytes.tryAcquire('flood', 60_000, 'normal')) n++;
    expect(n * (60_000 + REQUEST_OVERHEAD_BYTES)).toBeLessThanOrEqual(bytes.perSourceBytes);
    expect(n).toBeGreaterThan(0);
    expect(bytes.tryAcquire('other', 60_000, 'normal')).not.toBeNull();
  });

  it('lets one source take at least one request however small the share', () => {
    const l = new InFlightLimiter(limits({ maxInFlight: 2, sourceShare: 1 }));
    expect(l.perSourceCount).toBe(1);
    expect(l.perSourceBytes).toBeGreaterThanOrEqual(MIN_IN_FLIGHT_BYTES);
    expect(l.tryAcquire('a', 65_457, 'normal')).not.toBeNull();
    expect(l.tryAcquire('a', 1, 'normal')).toBeNull();
  });

  it('serves operator commands from the reserve while the normal budget is full', () => {
    const l = new InFlightLimiter(limits({ maxInFlight: 3, operatorReserve: 4, sourceShare: 50 }));
    for (const s of ['x', 'y', 'z']) expect(l.tryAcquire(s, 100, 'normal')).not.toBeNull();
    expect(l.tryAcquire('w', 100, 'normal')).toBeNull();
    expect(l.tryAcquire('x', 100, 'operator')).not.toBeNull();
    expect(l.tryAcquire('w', 100, 'operator')).not.toBeNull();
    // The reserve's own per-source share (half of 4).
    expect(l.tryAcquire('w', 100, 'operator')).not.toBeNull();
    expect(l.tryAcquire('w', 100, 'operator')).toBeNull();
    expect(l.tryAcquire('v', 100, 'operator')).not.toBeNull();
    // The reserve is full.
    expect(l.tryAcquire('u', 100, 'operator')).toBeNull();
    expect(l.stats()).toMatchObject({ inFlight: 7, operatorInFlight: 4 });
    // Operator requests never use the normal budget: freeing one gives no normal slot.
    l.release('w', 100, 'operator');
    expect(l.tryAcquire('u', 100, 'normal')).toBeNull();
    l.release('x', 100, 'normal');
    expect(l.tryAcquire('u', 100, 'normal')).not.toBeNull();
  });

  it('charges operator commands to the normal budget while it has room, the reserve after', () => {
    const l = new InFlightLimiter(limits({ maxInFlight: 40, operatorReserve: 4, sourceShare: 50 }));
    // Sixteen async `ps` from one monitoring host: far more than the reserve's share, all run.
    for (let i = 0; i < 16; i++) expect(l.tryAcquire('mon', 100, 'operator')).toBe('normal');
    expect(l.stats()).toMatchObject({ inFlight: 16, operatorInFlight: 0, busy: 0 });
    // The source's normal share (20) is used up: the next ones fall back on the reserve (2 each).
    for (let i = 0; i < 4; i++) expect(l.tryAcquire('mon', 100, 'operator')).toBe('normal');
    expect(l.tryAcquire('mon', 100, 'normal')).toBeNull();
    expect(l.tryAcquire('mon', 100, 'operator')).toBe('operator');
    expect(l.tryAcquire('mon', 100, 'operator')).toBe('operator');
    expect(l.tryAcquire('mon', 100, 'operator')).toBeNull();
    expect(l.stats()).toMatchObject({ inFlight: 22, operatorInFlight: 2, busy: 2, busySource: 2 });
    // Released with the budget each was charged to, everything is back.
    for (let i = 0; i < 20; i++) l.release('mon', 100, 'normal');
    l.release('mon', 100, 'operator');
    l.release('mon', 100, 'operator');
    expect(l.stats()).toMatchObject({
      inFlight: 0,
      inFlightBytes: 0,
      operatorInFlight: 0,
      sources: 0,
    });
  });

  it('forgets a source once nothing of it is in flight (the map stays bounded)', () => {
    const l = new InFlightLimiter(limits({ maxInFlight: 10, sourceShare: 100 }));
    for (let i = 0; i < 10_000; i++) {
      const source = `/tmp/client-${i}`;
      const charged = l.tryAcquire(source, 50, i % 2 === 0 ? 'normal' : 'operator');
      expect(charged).not.toBeNull();
      if (charged !== null) l.release(source, 50, charged);
    }
    expect(l.stats()).toMatchObject({
      inFlight: 0,
      inFlightBytes: 0,
      operatorInFlight: 0,
      sources: 0,
      busy: 0,
    });
    // A release of something never acquired changes nothing.
    l.release('never', 50, 'normal');
    expect(l.stats().inFlight).toBe(0);
  });
});

describe('HandlerRun', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('expires after its deadline: the callback once, then the signal with a coded reason', () => {
    vi.useFakeTimers();
    const run = new HandlerRun('slow', 0);
    const signal = run.signal;
    const expired: HandlerAbortError[] = [];
    let abortedAfterCallback = false;
    run.arm(1000, (_run, reason) => {
      expired.push(reason);
      abortedAfterCallback = !signal.aborted;
    });
    vi.advanceTimersByTime(999);
    expect(signal.aborted).toBe(false);
    vi.advanceTimersByTime(1);
    expect(expired).toHaveLength(1);
    expect(abortedAfterCallback).toBe(true);
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBeInstanceOf(HandlerAbortError);
    expect((signal.reason as HandlerAbortError).code).toBe('COMMAND_TIMED_OUT');
    expect(run.outcome).toBe('expired');
    // The late result is to be dropped.
    expect(run.settle()).toBe(false);
    vi.advanceTimersByTime(10_000);
    expect(expired).toHaveLength(1);
  });

  it('settles in time: no expiry, no abort, timer cleared', () => {
    vi.useFakeTimers();
    const run = new HandlerRun('fast', 0);
    let calls = 0;
    run.arm(1000, () => calls++);
    expect(run.settle()).toBe(true);
    vi.advanceTimersByTime(5000);
    expect(calls).toBe(0);
    expect(run.signal.aborted).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('creates no controller for a handler that never reads the signal', () => {
    const run = new HandlerRun('x', 0);
    run.expire(new HandlerAbortError('COMMAND_TIMED_OUT', 'x', 'test'));
    expect(run.outcome).toBe('expired');
    // Read afterwards: already aborted, with the reason.
    expect(run.signal.aborted).toBe(true);
    expect((run.signal.reason as HandlerAbortError).code).toBe('COMMAND_TIMED_OUT');
  });
});

describe('ThrottledEvents', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('logs the first event at once and the rest of the second as one counted line', () => {
    vi.useFakeTimers();
    const lines: Array<[string, Record<string, unknown> | undefined]> = [];
    const log = new ThrottledEvents({
      warn: (m, f) => lines.push([m, f]),
      notice: (m, f) => lines.push([m, f]),
    });
    for (let i = 0; i < 1000; i++) log.event('warn', 'command timed out', 'slow', { afterMs: i });
    log.event('warn', 'command timed out', 'other', {});
    expect(lines).toHaveLength(2);
    vi.advanceTimersByTime(1000);
    expect(lines).toHaveLength(3);
    expect(lines[2]).toEqual([
      'command timed out',
      { command: 'slow', count: 999, withinMs: 1000 },
    ]);
    // A new window starts with a line of its own.
    log.event('warn', 'command timed out', 'slow', { afterMs: 1 });
    expect(lines).toHaveLength(4);
  });
});

describe('RunTracker', () => {
  it('expires every armed run at shutdown with SERVER_CLOSING, and only those still running', () => {
    const tracker = new RunTracker();
    const reasons: string[] = [];
    const runs = [0, 1, 2].map((i) => {
      const run = new HandlerRun(`c${i}`, 0);
      run.arm(60_000, (_r, reason) => reasons.push(`${run.command}:${reason.code}`), tracker);
      return run;
    });
    const signals = runs.map((r) => r.signal);
    expect(tracker.size).toBe(3);
    runs[1]?.settle();
    expect(tracker.size).toBe(2);
    expect(tracker.expireAll()).toBe(2);
    expect(reasons.sort()).toEqual(['c0:SERVER_CLOSING', 'c2:SERVER_CLOSING']);
    expect(signals.map((s) => s.aborted)).toEqual([true, false, true]);
    expect(tracker.size).toBe(0);
  });

  it('signals before the grace period ends', () => {
    expect(abortLeadMs(5000)).toBe(1000);
    expect(abortLeadMs(600)).toBe(300);
    expect(abortLeadMs(0)).toBe(0);
    for (const grace of [0, 1, 10, 999, 5000, 60_000]) {
      expect(abortLeadMs(grace)).toBeLessThanOrEqual(grace);
    }
  });
});

describe('WorkGate', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  const logged: string[] = [];
  const logger = {
    warn: (m: string) => logged.push(`warn ${m}`),
    notice: (m: string) => logged.push(`notice ${m}`),
  };
  const user = { name: 'slow', module: 'app', definition: {} };
  const quick = { name: 'quick', module: 'app', definition: { timeoutMs: 50 } };
  const core = { name: 'version', module: 'core', definition: {} };

  it('keys sources by UNIX path or UDP address, port ignored', () => {
    expect(sourceOf('/tmp/a.sock')).toBe('/tmp/a.sock');
    expect(sourceOf({ address: '10.0.0.1', port: 1, family: 'IPv4' })).toBe('10.0.0.1');
    expect(sourceOf({ address: '10.0.0.1', port: 2, family: 'IPv4' })).toBe('10.0.0.1');
    expect(sourceOf(null)).toBe('(unbound)');
  });

  it('charges core commands to the reserve and applies per-definition deadlines', () => {
    const gate = new WorkGate({ logger, commandTimeoutMs: 700 });
    expect(gate.classOf(core)).toBe('operator');
    expect(gate.classOf(user)).toBe('normal');
    expect(gate.timeoutOf(user)).toBe(700);
    expect(gate.timeoutOf(quick)).toBe(50);
    expect(new WorkGate({ logger }).commandTimeoutMs).toBe(DEFAULT_COMMAND_TIMEOUT_MS);
  });

  it('refuses past the bound, frees the slot at the deadline, drops and logs the late result once', () => {
    vi.useFakeTimers();
    logged.length = 0;
    const gate = new WorkGate({
      logger,
      limits: limits({ maxInFlight: 2, sourceShare: 100 }),
      commandTimeoutMs: 1000,
    });
    const a = gate.admit('/c1', 100, user, 0);
    const b = gate.admit('/c2', 100, user, 0);
    expect(a).not.toBeNull();
    expect(b).not.toBeNull();
    expect(gate.admit('/c3', 100, user, 0)).toBeNull();
    // The operator reserve still answers.
    const v = gate.admit('/c3', 10, core, 0);
    expect(v).not.toBeNull();
    if (a === null || b === null || v === null) return;
    expect(gate.settle(v)).toBe(true);
    let expired = 0;
    gate.arm(a, user, () => expired++);
    gate.arm(b, user, () => expired++);
    expect(gate.settle(b)).toBe(true);
    vi.advanceTimersByTime(1000);
    expect(expired).toBe(1);
    expect(a.signal.aborted).toBe(true);
    expect(gate.stats()).toMatchObject({ busy: 1, timedOut: 1, inFlight: 0, lateResults: 0 });
    // The slot is free again.
    const c = gate.admit('/c3', 100, user, 0);
    expect(c).not.toBeNull();
    expect(gate.settle(a)).toBe(false);
    expect(gate.settle(a)).toBe(false);
    expect(gate.stats().lateResults).toBe(2);
    expect(logged.filter((l) => l.startsWith('warn command timed out'))).toHaveLength(1);
    // A second late result within the second is counted into one later line.
    expect(logged.filter((l) => l.startsWith('notice late result'))).toHaveLength(1);
    vi.advanceTimersByTime(1000);
    expect(logged.filter((l) => l.startsWith('notice late result'))).toHaveLength(2);
    // Releasing twice gives back once.
    if (c !== null) {
      gate.release(c);
      gate.release(c);
    }
    expect(gate.stats().inFlight).toBe(0);
  });

  it('aborts every running handler at shutdown, counted apart from timeouts', () => {
    const gate = new WorkGate({ logger, commandTimeoutMs: 60_000 });
    const runs = [0, 1, 2].map((i) => gate.admit(`/s${i}`, 10, user, 0));
    let replies = 0;
    for (const run of runs) if (run !== null) gate.arm(run, user, () => replies++);
    expect(gate.abortAll()).toBe(3);
    expect(replies).toBe(3);
    expect(gate.stats()).toMatchObject({ abortedAtShutdown: 3, timedOut: 0, inFlight: 0 });
    expect(runs.every((r) => r?.signal.aborted === true)).toBe(true);
  });
});
