// Echo servers for the ping-pong benchmark, in their own process: one on raw
// node:dgram, one on UdpTransport. Reports both ports to the parent over IPC.
import { createSocket } from 'node:dgram';
import { bindUdpSocket, type UdpTransport } from '../src/index.js';

const raw = createSocket('udp4');
raw.on('message', (data, rinfo) => {
  raw.send(data, rinfo.port, rinfo.address);
});
await new Promise<void>((resolve) => raw.bind(0, '127.0.0.1', resolve));

const holder: { transport?: UdpTransport } = {};
const transport = await bindUdpSocket('127.0.0.1', 0, {
  onMessage: (data, peer) => {
    holder.transport?.send(data, peer);
  },
});
holder.transport = transport;

process.on('message', (message) => {
  if (message === 'stats') {
    process.send?.({ stats: transport.stats() });
  } else if (message === 'stop') {
    raw.close();
    void transport.close().then(() => process.disconnect?.());
  }
});
process.send?.({ rawPort: raw.address().port, transportPort: transport.port });
