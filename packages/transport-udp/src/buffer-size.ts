/** SO_RCVBUF / SO_SNDBUF of a UDP socket, as requested in the options; a smaller grant is a warning. */
import type { Socket } from 'node:dgram';
import { UdpTransportError } from './errors.js';
import type { ResolvedOptions } from './options.js';

/** Applies `receiveBufferSize` and `sendBufferSize` (each only when given). */
export function applyBufferSizes(
  socket: Socket,
  options: ResolvedOptions,
  address: string,
  warn: (warning: UdpTransportError) => void,
): void {
  const { receiveBufferSize, sendBufferSize } = options;
  if (receiveBufferSize !== undefined) {
    applyBufferSize(socket, 'receive', receiveBufferSize, address, warn);
  }
  if (sendBufferSize !== undefined) {
    applyBufferSize(socket, 'send', sendBufferSize, address, warn);
  }
}

function applyBufferSize(
  socket: Socket,
  which: 'receive' | 'send',
  requested: number,
  address: string,
  warn: (warning: UdpTransportError) => void,
): void {
  let granted: number;
  try {
    if (which === 'receive') {
      socket.setRecvBufferSize(requested);
      granted = socket.getRecvBufferSize();
    } else {
      socket.setSendBufferSize(requested);
      granted = socket.getSendBufferSize();
    }
  } catch (error) {
    warn(
      new UdpTransportError('BUFFER_SIZE', `${address}: cannot set the ${which} buffer size`, {
        address,
        cause: error,
      }),
    );
    return;
  }
  // Linux reports twice the granted size (bookkeeping overhead included).
  if (granted < requested) {
    warn(
      new UdpTransportError(
        'BUFFER_SIZE',
        `${address}: ${which} buffer is ${granted} bytes, ${requested} requested (raise net.core.${which === 'receive' ? 'rmem_max' : 'wmem_max'})`,
        { address },
      ),
    );
  }
}
