/**
 * Subscriber sockets for the events tests (a UDP socket on 127.0.0.1 and a
 * bound UNIX datagram socket), and the recorded events exchanges
 * (../shared/conformance/events-opensips.txt).
 */
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { pythonBytes } from '@mi-datagram/test-helpers';
import { openUnixReplySocket } from '@mi-datagram/transport-unix';

export interface Subscriber {
  /** As `event_subscribe` names it. */
  readonly socket: string;
  /** The next datagram (latin1), or null after `timeoutMs`. */
  next(timeoutMs?: number): Promise<string | null>;
  /** Every datagram received so far, not yet taken. */
  drain(): string[];
  close(): Promise<void>;
}

class Inbox {
  readonly items: string[] = [];
  #waiter: ((s: string) => void) | null = null;
  push(data: Uint8Array): void {
    const s = Buffer.from(data).toString('latin1');
    const w = this.#waiter;
    if (w !== null) {
      this.#waiter = null;
      w(s);
    } else this.items.push(s);
  }
  next(timeoutMs: number): Promise<string | null> {
    const first = this.items.shift();
    if (first !== undefined) return Promise.resolve(first);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiter = null;
        resolve(null);
      }, timeoutMs);
      this.#waiter = (s) => {
        clearTimeout(timer);
        resolve(s);
      };
    });
  }
}

export async function udpSubscriber(): Promise<Subscriber> {
  const inbox = new Inbox();
  const socket = createSocket('udp4');
  socket.on('message', (m) => inbox.push(m));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  return {
    socket: `udp:127.0.0.1:${socket.address().port}`,
    next: (t = 3000) => inbox.next(t),
    drain: () => inbox.items.splice(0),
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

export async function unixSubscriber(dir: string): Promise<Subscriber> {
  const inbox = new Inbox();
  const transport = await openUnixReplySocket({ dir, onMessage: (data) => inbox.push(data) });
  return {
    socket: `unix:${transport.address}`,
    next: (t = 3000) => inbox.next(t),
    drain: () => inbox.items.splice(0),
    close: () => transport.close(),
  };
}

export interface EventsExchange {
  readonly title: string;
  readonly request: Buffer;
  readonly reply: Buffer;
}

/** Every REQ → REP pair of the events recording. */
export function loadEventsExchanges(): EventsExchange[] {
  const url = new URL('../../../../../shared/conformance/events-opensips.txt', import.meta.url);
  const out: EventsExchange[] = [];
  let title = '';
  let request: Buffer | null = null;
  for (const line of readFileSync(url, 'latin1').split('\n')) {
    if (line.startsWith('### ')) title = line.slice(4);
    const m = /^(REQ|REP) \(\d+ bytes\): (.*)$/.exec(line);
    if (m === null) continue;
    const bytes = pythonBytes(m[2] as string);
    if (m[1] === 'REQ') request = bytes;
    else if (request !== null) {
      out.push({ title, request, reply: bytes });
      request = null;
    }
  }
  return out;
}
