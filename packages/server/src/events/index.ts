/**
 * Events (docs/events.md): the publish API, the subscription list, delivery
 * to UDP and UNIX subscriber sockets, the MI commands, and the pool's IPC.
 */
export { createEventCommands, DEFAULT_EXPIRE, MAX_EXPIRE } from './commands.js';
export type { DeliveryStats } from './delivery.js';
export {
  type EventParams,
  EventPublisher,
  EventsError,
  type EventsErrorCode,
  type EventValue,
  events,
  MAX_DECLARED_EVENTS,
  SERVER_EVENTS,
} from './publisher.js';
export {
  answerEventsRequest,
  EVENTS_OP,
  EVENTS_SUBSCRIBED_OP,
  RemoteEventsBackend,
  subscribedNamesOf,
  subscribedNamesPayload,
} from './remote.js';
export {
  type EventInfo,
  EventService,
  type EventServiceOptions,
  type EventSubscribers,
  type EventsBackend,
  type EventsStats,
  type RaiseOutcome,
  type SubscribeRequest,
} from './service.js';
export {
  DEFAULT_SUBSCRIPTION_LIMITS,
  type ListedSubscriber,
  type SubscriptionLimits,
} from './subscriptions.js';
