/** Listeners: the transport of each `socket_name` (UNIX or UDP), bound or adopted, attached to a server. */
export {
  attachListener,
  bindFailure,
  bindListener,
  type ListenerTransportOptions,
  type OpenListener,
  poolSocketOptions,
  unixSocketFileOptions,
} from './listeners.js';
