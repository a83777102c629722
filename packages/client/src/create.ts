import { MiClient } from './client.js';
import type { MiClientOptions, MiProtocolName } from './client-types.js';

/** Same as `new MiClient(target, options)`. */
export function createMiClient<P extends MiProtocolName = 'legacy'>(
  target: string,
  options: MiClientOptions<P> = {},
): MiClient<P> {
  return new MiClient(target, options);
}
