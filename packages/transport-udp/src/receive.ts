import type { RemoteInfo } from 'node:dgram';
import type { DatagramHandler, DatagramInfo } from '@mi-datagram/protocol';
import { UdpTransportError } from './errors.js';
import type { UdpPeer } from './peer.js';

const WHOLE: DatagramInfo = Object.freeze({ truncated: false });
const TRUNCATED: DatagramInfo = Object.freeze({ truncated: true });
/**
 * Largest UDP payload without IPv6 jumbograms (65535 - 8-byte UDP header).
 * Node and the addon read into 64 KiB buffers, so no datagram can be cut;
 * anything longer would mean a cut one.
 */
const MAX_UDP_PAYLOAD = 65527;

/** A transport's receive counters. */
export interface ReceiveCounts {
  received: number;
  truncated: number;
}

/**
 * The per-datagram listener of a transport at `address` (node:dgram's
 * 'message' or the addon's batches): counts, then calls `onMessage` with the
 * bytes, `rinfo` as the peer (a fresh object per datagram with address, port,
 * family) and `{ truncated }`. With `onError`, an exception of `onMessage` is
 * reported as `HANDLER_FAILED` instead of propagating.
 */
export function messageListener(
  counts: ReceiveCounts,
  address: string,
  onMessage: DatagramHandler<UdpPeer>,
  onError: ((error: UdpTransportError) => void) | undefined,
): (data: Buffer, rinfo: RemoteInfo) => void {
  const deliver = (data: Buffer, rinfo: RemoteInfo): void => {
    counts.received++;
    if (data.length > MAX_UDP_PAYLOAD) {
      counts.truncated++;
      onMessage(data, rinfo, TRUNCATED);
    } else {
      onMessage(data, rinfo, WHOLE);
    }
  };
  if (onError === undefined) return deliver;
  return (data, rinfo) => {
    try {
      deliver(data, rinfo);
    } catch (error) {
      onError(
        new UdpTransportError('HANDLER_FAILED', `onMessage threw: ${String(error)}`, {
          address,
          cause: error,
        }),
      );
    }
  };
}
