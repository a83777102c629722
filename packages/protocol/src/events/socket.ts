/**
 * Subscriber sockets as `event_subscribe` names them: `udp:HOST:PORT` or
 * `unix:/path`. The transport prefix is case-sensitive; the host is kept as
 * written (not normalised: `localhost` and `127.0.0.1` are two subscribers);
 * an IPv6 literal is written in brackets (`udp:[::1]:9000`). The port is
 * 1..65535 (the original silently wrapped 70000 to 4464; refused here).
 */

export type SubscriberSocket =
  | { readonly kind: 'udp'; readonly host: string; readonly port: number }
  | { readonly kind: 'unix'; readonly path: string };

const PORT = /^[0-9]{1,5}$/;

/** The parsed socket, or null when the text is not a subscriber socket. */
export function parseSubscriberSocket(text: string): SubscriberSocket | null {
  if (text.startsWith('unix:')) {
    const path = text.slice(5);
    if (path.length === 0 || path.includes('\0') || path.includes('\n')) return null;
    return { kind: 'unix', path };
  }
  if (!text.startsWith('udp:')) return null;
  const rest = text.slice(4);
  const colon = rest.lastIndexOf(':');
  if (colon <= 0) return null;
  let host = rest.slice(0, colon);
  const portText = rest.slice(colon + 1);
  if (!PORT.test(portText)) return null;
  const port = Number(portText);
  if (port < 1 || port > 65535) return null;
  if (host.startsWith('[')) {
    if (!host.endsWith(']') || host.length < 3) return null;
    host = host.slice(1, -1);
  } else if (host.includes(':')) {
    return null;
  }
  if (/[\s/\0]/.test(host)) return null;
  return { kind: 'udp', host, port };
}

/** The canonical text of a subscriber socket (what `parseSubscriberSocket` reads back). */
export function formatSubscriberSocket(socket: SubscriberSocket): string {
  if (socket.kind === 'unix') return `unix:${socket.path}`;
  return socket.host.includes(':')
    ? `udp:[${socket.host}]:${socket.port}`
    : `udp:${socket.host}:${socket.port}`;
}
