/** Pure parts: the backoff schedule and the IPC message validators. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_RESTART_POLICY, restartDelay } from '../dist/index.js';
import { IPC_TAG, parsePrimaryMessage } from '../src/messages.js';

describe('restartDelay', () => {
  it('is 0 for the first failure, then doubles from minBackoffMs up to maxBackoffMs', () => {
    const policy = { ...DEFAULT_RESTART_POLICY, minBackoffMs: 100, maxBackoffMs: 1_000 };
    expect([1, 2, 3, 4, 5, 6, 50, 10_000].map((n) => restartDelay(policy, n))).toEqual([
      0, 100, 200, 400, 800, 1_000, 1_000, 1_000,
    ]);
  });

  it('defaults: immediate, then 100 ms doubling to 10 s', () => {
    expect(DEFAULT_RESTART_POLICY).toEqual({
      minBackoffMs: 100,
      maxBackoffMs: 10_000,
      stableAfterMs: 5_000,
      maxStartAttempts: 5,
    });
  });
});

describe('the table announcement (primary → worker)', () => {
  const valid = {
    tag: IPC_TAG,
    t: 'table',
    generation: 3,
    members: [
      { id: 0, pid: 100, type: 'primary' },
      { id: 1, pid: 101, type: 'worker', state: 'ready', extra: 'dropped' },
    ],
  };

  it('is accepted with exactly the members’ id, pid and type', () => {
    expect(parsePrimaryMessage(valid)).toEqual({
      tag: IPC_TAG,
      t: 'table',
      generation: 3,
      members: [
        { id: 0, pid: 100, type: 'primary' },
        { id: 1, pid: 101, type: 'worker' },
      ],
    });
  });

  it.each([
    ['no generation', { ...valid, generation: undefined }],
    ['a negative generation', { ...valid, generation: -1 }],
    ['members not a list', { ...valid, members: {} }],
    ['a member without a pid', { ...valid, members: [{ id: 0, type: 'primary' }] }],
    ['a member of an unknown type', { ...valid, members: [{ id: 0, pid: 1, type: 'other' }] }],
    ['another tag', { ...valid, tag: 'someone else' }],
  ])('is ignored with %s', (_name, message) => {
    expect(parsePrimaryMessage(message)).toBeNull();
  });
});
