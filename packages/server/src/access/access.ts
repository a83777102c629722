/**
 * Per-listener access policy: the level a listener grants, its UDP allowlist
 * and its per-source rate limit.
 *
 * {@link ListenerPolicy} is plain JSON (it travels in the resolved
 * configuration, e.g. to worker processes); {@link compileListenerPolicy}
 * turns it, once per attached listener, into a {@link ListenerAccess} whose
 * checks allocate nothing per request.
 */
import type { TransportErrorKind } from '@mi-datagram/protocol';
import type { MiRequest, RegisteredCommand } from '../commands/index.js';
import { COMMAND_LEVELS, type CommandLevel } from '../common/index.js';
import type { ListenerStats } from '../statistics/index.js';
import { CidrList } from './cidr.js';
import { RateLimiter, type RateLimiterOptions } from './rate-limit.js';

/** The access policy of one listener (JSON-serialisable). */
export interface ListenerPolicy {
  /** Highest command level this listener may run. */
  readonly level: CommandLevel;
  /**
   * UDP only: CIDR blocks a datagram's source must be in, else it is dropped
   * without a reply. `null` means every source is accepted (UNIX sockets; `allow_any_source`).
   */
  readonly allow_from: readonly string[] | null;
  /** Requests per second per source address (burst: one second); 0 = no limit. */
  readonly rate_limit: number;
}

/** What an attached listener without a policy gets: the original's behaviour. */
export const OPEN_POLICY: ListenerPolicy = Object.freeze({
  level: 'admin',
  allow_from: null,
  rate_limit: 0,
});

/** read < operator < admin. */
export const LEVEL_RANK: Readonly<Record<CommandLevel, number>> = Object.freeze({
  read: 0,
  operator: 1,
  admin: 2,
});

/** The status of a refusal, for replies that are not legacy lines (JSON-RPC errors). */
export const REFUSAL_STATUS = Object.freeze({
  PERMISSION_DENIED: Object.freeze({ code: 403, reason: 'Permission denied' }),
  RATE_LIMITED: Object.freeze({ code: 429, reason: 'rate limit exceeded' }),
});

export type RefusalKind = keyof typeof REFUSAL_STATUS;

/** Key of the one bucket shared by unbound UNIX senders (no path to tell them apart). */
export const UNBOUND_SOURCE = '(unbound)';

/**
 * Source address of a peer as the transports deliver it: a UDP peer's
 * `address` (the port is not part of the source), a UNIX peer's path, or
 * {@link UNBOUND_SOURCE}. Allocates nothing.
 */
export function sourceOf(peer: unknown): string {
  if (typeof peer === 'string') return peer;
  if (peer === null || peer === undefined) return UNBOUND_SOURCE;
  const address = (peer as { readonly address?: unknown }).address;
  return typeof address === 'string' ? address : UNBOUND_SOURCE;
}

/** Checks a policy read from an untrusted place; returns it or throws a TypeError. */
export function validateListenerPolicy(policy: unknown): ListenerPolicy {
  if (typeof policy !== 'object' || policy === null) {
    throw new TypeError('listener policy: expected an object');
  }
  const p = policy as Record<string, unknown>;
  if (!(COMMAND_LEVELS as readonly unknown[]).includes(p.level)) {
    throw new TypeError(`listener policy: level must be one of ${COMMAND_LEVELS.join(', ')}`);
  }
  if (
    p.allow_from !== null &&
    !(Array.isArray(p.allow_from) && p.allow_from.every((b) => typeof b === 'string'))
  ) {
    throw new TypeError('listener policy: allow_from must be null or a list of CIDR strings');
  }
  if (typeof p.rate_limit !== 'number' || !Number.isSafeInteger(p.rate_limit) || p.rate_limit < 0) {
    throw new TypeError('listener policy: rate_limit must be an integer >= 0');
  }
  return policy as ListenerPolicy;
}

/** The level a request needs: the command's declaration (a function is asked; a throw means admin). */
export function requiredLevel(command: RegisteredCommand, request: MiRequest | null): CommandLevel {
  const level = command.level;
  if (typeof level === 'string') return level;
  if (request === null) return 'admin';
  try {
    const asked = level(request);
    return typeof asked === 'string' && asked in LEVEL_RANK ? asked : 'admin';
  } catch {
    return 'admin';
  }
}

/** A compiled policy, one per attached listener. */
export class ListenerAccess {
  readonly policy: ListenerPolicy;
  readonly rank: number;
  readonly allow: CidrList | null;
  readonly limiter: RateLimiter | null;
  /** False when no request can be refused (admin, no rate limit): the checks are skipped. */
  readonly checksRequests: boolean;
  address = '';
  requests = 0;
  allowlistDropped = 0;
  refused = 0;
  rateLimited = 0;

  constructor(policy: ListenerPolicy, limiterOptions: RateLimiterOptions = {}) {
    this.policy = validateListenerPolicy(policy);
    this.rank = LEVEL_RANK[policy.level];
    this.allow = policy.allow_from === null ? null : new CidrList(policy.allow_from);
    this.limiter =
      policy.rate_limit > 0 ? new RateLimiter(policy.rate_limit, limiterOptions) : null;
    this.checksRequests = this.rank < LEVEL_RANK.admin || this.limiter !== null;
  }

  /** The highest level this listener grants (`request.listener.level`). */
  get level(): CommandLevel {
    return this.policy.level;
  }

  /** True when the allowlist admits `address` (an IP literal); no allowlist: true. Counts nothing. */
  allowsAddress(address: string): boolean {
    return this.allow === null || this.allow.matches(address);
  }

  /**
   * The allowlist: true when a datagram from `peer` may be served. Counts
   * the drops. A peer without an IP address never passes a list.
   */
  admitsSource(peer: unknown): boolean {
    const allow = this.allow;
    if (allow === null) return true;
    const address = (peer as { readonly address?: unknown } | null)?.address;
    if (typeof address === 'string' && allow.matches(address)) return true;
    this.allowlistDropped++;
    return false;
  }

  /**
   * Rate limit, then level: the refusal for this request, or null. Counts
   * the refusals. `request` may be null for commands with a fixed level.
   */
  check(
    command: RegisteredCommand,
    request: MiRequest | null,
    peer: unknown,
    now?: number,
  ): RefusalKind | null {
    if (this.limiter !== null && !this.limiter.take(sourceOf(peer), now)) {
      this.rateLimited++;
      return 'RATE_LIMITED';
    }
    if (this.rank < LEVEL_RANK.admin && LEVEL_RANK[requiredLevel(command, request)] > this.rank) {
      this.refused++;
      return 'PERMISSION_DENIED';
    }
    return null;
  }

  stats(): ListenerStats {
    return {
      address: this.address,
      level: this.policy.level,
      requests: this.requests,
      allowlistDropped: this.allowlistDropped,
      refused: this.refused,
      rateLimited: this.rateLimited,
      sources: this.limiter?.sources ?? 0,
    };
  }
}

/** Compiles a policy (validated) for one listener. */
export function compileListenerPolicy(
  policy: ListenerPolicy,
  limiterOptions?: RateLimiterOptions,
): ListenerAccess {
  return new ListenerAccess(policy, limiterOptions);
}

/** Type-level check that refusals are transport error kinds. */
export const REFUSAL_KINDS: readonly (RefusalKind & TransportErrorKind)[] = [
  'PERMISSION_DENIED',
  'RATE_LIMITED',
];
