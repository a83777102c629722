/** Event datagrams and subscriber sockets (OpenSIPS event_datagram). */
export {
  EVENT_FORMATS,
  type EventFormat,
  type EventParam,
  encodeEventDatagram,
  eventJsonText,
  eventTextText,
  type ParsedEvent,
  parseEventDatagram,
} from './datagram.js';
export { formatSubscriberSocket, parseSubscriberSocket, type SubscriberSocket } from './socket.js';
