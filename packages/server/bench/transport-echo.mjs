// Raw transport ping-pong: answers every datagram with itself through the
// same transports the server uses, with no pipeline at all. The baseline the
// server's figures are compared to. Usage: node transport-echo.mjs SOCKET_NAME
import { bindUdpSocket } from '@mi-datagram/transport-udp';
import { bindUnixSocket } from '@mi-datagram/transport-unix';

const target = process.argv[2];
if (target === undefined) throw new Error('usage: transport-echo.mjs /path | udp:HOST:PORT');
let transport;
const onMessage = (data, peer) => {
  if (peer !== null) transport.send(data, peer);
};
if (target.startsWith('udp:')) {
  const i = target.lastIndexOf(':');
  transport = await bindUdpSocket(target.slice(4, i), Number(target.slice(i + 1)), { onMessage });
} else {
  transport = await bindUnixSocket(target, { onMessage });
}
process.stdout.write(`echo listening on ${transport.address}\n`);
const stop = () => transport.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
