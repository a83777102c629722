/** The request object a handler receives from the pipeline (legacy and JSON-RPC). */
import type { MiArgument } from '@mi-datagram/protocol';
import type { MiRequest } from '../commands/index.js';
import type { HandlerRun } from './deadline.js';

/**
 * An {@link MiRequest} whose `signal` is its run's (created on first read):
 * a handler that never looks at it costs no `AbortController`.
 */
export class ServedRequest implements MiRequest {
  readonly command: string;
  readonly args: readonly MiArgument[];
  readonly rawArgs: readonly MiArgument[];
  readonly datagram: Uint8Array;
  readonly #run: HandlerRun;

  constructor(command: string, args: readonly MiArgument[], datagram: Uint8Array, run: HandlerRun) {
    this.command = command;
    this.args = args;
    this.rawArgs = args;
    this.datagram = datagram;
    this.#run = run;
  }

  get signal(): AbortSignal {
    return this.#run.signal;
  }
}
