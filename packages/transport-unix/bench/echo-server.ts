// The echo server of the ping-pong benchmark, in its own process so that
// client and server each have a CPU: `unix PATH` or `udp`.
import { createSocket } from 'node:dgram';
import { bindUnixSocket, type UnixTransport } from '../src/index.js';

const [kind, path] = process.argv.slice(2);
if (kind === 'unix') {
  const server: UnixTransport = await bindUnixSocket(path ?? '', {
    onMessage(data, peer) {
      server.send(data, peer);
    },
  });
  process.stdout.write(`ready ${server.address}\n`);
  process.stdin.resume().on('end', () => void server.close().then(() => process.exit(0)));
} else {
  const socket = createSocket('udp4');
  socket.on('message', (msg, rinfo) => socket.send(msg, rinfo.port, rinfo.address));
  socket.bind(0, '127.0.0.1', () => {
    process.stdout.write(`ready ${socket.address().port}\n`);
  });
  process.stdin.resume().on('end', () => socket.close(() => process.exit(0)));
}
