// The flood of the overload phase (src/overload.ts), in its own process so
// that its CPU use does not delay the `:version:` probe of the soak process
// (which measures the server, not this one). Plain JavaScript: run with node.
//
// argv[2]: JSON { transport: 'unix'|'udp', unixPath, udpPort, dir, senders,
//   bytes, command, durationMs, drainMs, window }
// Each sender is its own socket (its own source), sends `:COMMAND:` with
// about `bytes` bytes of arguments as fast as the server takes them, at most
// `window` unanswered at a time, and reads every reply. After `durationMs`
// it stops sending and waits (at most `drainMs`) for the replies still due.
// Prints one JSON line: what was sent, what came back (by status), what the
// client itself gave up sending.
import { createSocket } from 'node:dgram';
import { openUnixReplySocket } from '@mi-datagram/transport-unix';

const o = JSON.parse(process.argv[2] ?? '{}');

function request(command, bytes) {
  const line = `${'x'.repeat(999)}\n`;
  let text = `:${command}:\n`;
  while (text.length + line.length <= bytes) text += line;
  return new TextEncoder().encode(text);
}

const data = request(o.command, o.bytes);

/** Status of a reply: its first line's code. */
function status(reply) {
  let code = 0;
  for (let i = 0; i < 3 && i < reply.length; i++) {
    const d = reply[i] - 0x30;
    if (d < 0 || d > 9) return 'other';
    code = code * 10 + d;
  }
  return String(code);
}

async function openSender(index) {
  const s = {
    index,
    sent: 0,
    replies: {},
    examples: [],
    answered: 0,
    /** Sent, not answered, not given up by the client: still due. */
    outstanding: () => s.sent - s.answered - s.lateDrops(),
  };
  const onReply = (reply) => {
    s.answered++;
    const k = status(reply);
    s.replies[k] = (s.replies[k] ?? 0) + 1;
    if (k !== '503' && k !== '504' && s.examples.length < 3) {
      s.examples.push(Buffer.from(reply.subarray(0, 60)).toString('latin1'));
    }
  };
  if (o.transport === 'unix') {
    const socket = await openUnixReplySocket({
      dir: o.dir,
      onMessage: (d) => onReply(d),
      socketTimeout: 1000,
      receiveBufferSize: 1 << 20,
      sendBufferSize: 1 << 20,
    });
    s.send = () => {
      s.sent++;
      // 'dropped' (and a queued send given up later) is in stats().dropped.
      return socket.send(data, o.unixPath);
    };
    // Queued sends the transport gave up later count as never sent.
    s.pending = () => socket.stats().pending;
    s.lateDrops = () => socket.stats().dropped;
    s.close = () => socket.close();
    return s;
  }
  const socket = createSocket({ type: 'udp4', recvBufferSize: 4 << 20, sendBufferSize: 1 << 20 });
  socket.on('message', (d) => onReply(d));
  let sendErrors = 0;
  socket.on('error', () => {
    sendErrors++;
  });
  await new Promise((resolve) => socket.bind(0, '127.0.0.1', resolve));
  s.send = () => {
    s.sent++;
    socket.send(data, o.udpPort, '127.0.0.1', (error) => {
      if (error) sendErrors++;
    });
    return 'sent';
  };
  s.pending = () => 0;
  s.lateDrops = () => sendErrors;
  s.close = () => new Promise((resolve) => socket.close(() => resolve()));
  return s;
}

const senders = await Promise.all(Array.from({ length: o.senders }, (_, i) => openSender(i)));
const started = Date.now();
let sending = true;

function pump(s) {
  if (!sending) return;
  // Back-pressure: the kernel queue of the server is full (UNIX) or the
  // window is; try again shortly.
  let burst = 0;
  while (burst < 32 && s.pending() < 48 && s.outstanding() < o.window) {
    s.send();
    burst++;
  }
  if (Date.now() - started >= o.durationMs) {
    sending = false;
    return;
  }
  if (burst === 0) setTimeout(() => pump(s), 1);
  else setImmediate(() => pump(s));
}

for (const s of senders) pump(s);
while (sending) await new Promise((r) => setTimeout(r, 50));
const drainEnd = Date.now() + o.drainMs;
const due = () => senders.reduce((n, s) => n + s.outstanding(), 0);
while (Date.now() < drainEnd && due() > 0) await new Promise((r) => setTimeout(r, 50));
const result = {
  durationMs: Date.now() - started,
  senders: senders.map((s) => ({
    sent: s.sent,
    clientDropped: s.lateDrops(),
    replies: s.replies,
    unanswered: s.outstanding(),
    examples: s.examples,
  })),
};
await Promise.all(senders.map((s) => s.close()));
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
