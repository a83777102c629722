// The echo server of the ping-pong benchmark, in its own process so that
// client and server each have a CPU: `unix PATH` or `udp`. A line "cpu" on
// stdin is answered with "cpu <microseconds of CPU used so far>".
import { createSocket } from 'node:dgram';
import { bindUnixSocket, type UnixTransport } from '../src/index.js';

const [kind, path] = process.argv.slice(2);
process.stdin.setEncoding('utf8').on('data', (chunk: string) => {
  for (const line of chunk.split('\n')) {
    if (line === 'cpu') {
      const { user, system } = process.cpuUsage();
      process.stdout.write(`cpu ${user + system}\n`);
    }
  }
});
if (kind === 'unix') {
  const server: UnixTransport = await bindUnixSocket(path ?? '', {
    onMessage(data, peer) {
      server.send(data, peer);
    },
  });
  process.stdout.write(`ready ${server.address}\n`);
  process.stdin.on('end', () => void server.close().then(() => process.exit(0)));
} else {
  const socket = createSocket('udp4');
  socket.on('message', (msg, rinfo) => socket.send(msg, rinfo.port, rinfo.address));
  socket.bind(0, '127.0.0.1', () => {
    process.stdout.write(`ready ${socket.address().port}\n`);
  });
  process.stdin.on('end', () => socket.close(() => process.exit(0)));
}
