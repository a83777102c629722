/** The UDP half of channel.ts, loaded only for UDP targets (node:dgram, node:dns, node:net). */
import { isIP, SocketAddress } from 'node:net';
import type { SocketName } from '@mi-datagram/protocol';
import { openUdpReplySocket } from '@mi-datagram/transport-udp';
import type { Channel, ChannelOptions, ResolvedTarget, TransportChannel } from './channel.js';

/** Resolves a parsed `socket_name` once: host names are looked up here, never per call. */
export async function resolveUdpTarget(
  parsed: Extract<SocketName, { kind: 'udp' }>,
): Promise<ResolvedTarget> {
  const literal = isIP(parsed.host);
  if (literal === 4 || literal === 6) {
    return { kind: 'udp', address: parsed.host, port: parsed.port, family: literal };
  }
  // node:dns only for a host name: a literal address (the usual target) does not load it.
  const { lookup } = await import('node:dns/promises');
  const found = await lookup(parsed.host);
  return {
    kind: 'udp',
    address: found.address,
    port: parsed.port,
    family: found.family === 6 ? 6 : 4,
  };
}

/** Canonical text of an IP address, IPv4 as IPv4-mapped IPv6 (`::ffff:127.0.0.1`). */
function canonicalAddress(address: string): string {
  if (isIP(address) === 4) return `::ffff:${address}`;
  return new SocketAddress({ address, family: 'ipv6' }).address;
}

function sameUdpPeer(
  peer: unknown,
  target: { readonly address: string; readonly port: number },
): boolean {
  if (typeof peer !== 'object' || peer === null) return false;
  const { address, port } = peer as { readonly address?: unknown; readonly port?: unknown };
  if (port !== target.port || typeof address !== 'string') return false;
  if (address === target.address) return true;
  try {
    return canonicalAddress(address) === canonicalAddress(target.address);
  } catch {
    return false;
  }
}

/** Opens a UDP reply socket for `target` and attaches it to `channel`. */
export async function openUdpChannel(
  channel: TransportChannel,
  target: Extract<ResolvedTarget, { kind: 'udp' }>,
  options: ChannelOptions,
): Promise<Channel> {
  const peer = {
    address: target.address,
    port: target.port,
    family: target.family === 6 ? ('IPv6' as const) : ('IPv4' as const),
  };
  let connecting = false;
  const transport = await openUdpReplySocket(
    { host: target.address, family: target.family },
    {
      onMessage(data, from, info) {
        if (!sameUdpPeer(from, target)) return;
        // The server answers from the address it was sent to: connect to it, so that each send
        // skips node:dgram's address lookup and the kernel's route lookup, and the kernel keeps
        // everyone else out. No send is outstanding now (this is the reply to the last one).
        if (!connecting) {
          connecting = true;
          transport.connect(peer).catch(() => {
            // Sends go by address, as before.
          });
        }
        channel.deliver(data, info.truncated);
      },
      onError(error) {
        channel.fail(error);
      },
      socketTimeout: options.socketTimeout,
    },
  );
  channel.attach(transport, (data) => transport.send(data, peer));
  return channel;
}
