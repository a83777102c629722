/** Access control per listener: levels, the UDP source allowlist (CIDR), the rate limit. */
export {
  compileListenerPolicy,
  LEVEL_RANK,
  ListenerAccess,
  type ListenerPolicy,
  OPEN_POLICY,
  REFUSAL_KINDS,
  REFUSAL_STATUS,
  type RefusalKind,
  requiredLevel,
  sourceOf,
  UNBOUND_SOURCE,
  validateListenerPolicy,
} from './access.js';
export {
  type Cidr,
  CidrList,
  isIpAddress,
  isLoopbackHost,
  LOOPBACK_CIDRS,
  parseCidr,
} from './cidr.js';
export { RATE_LIMIT_MAX_SOURCES, RateLimiter, type RateLimiterOptions } from './rate-limit.js';
