/** The request object a handler receives from the pipeline (legacy and JSON-RPC). */
import type { MiArgument } from '@mi-datagram/protocol';
import type {
  MiListener,
  MiProtocol,
  MiRequest,
  MiSharedStore,
  ParamValues,
} from '../commands/index.js';
import type { HandlerRun } from './deadline.js';

/**
 * An {@link MiRequest} whose `signal` is its run's (created on first read):
 * a handler that never looks at it costs no `AbortController`. The params
 * step fills `params` and `recipe` in place ({@link ServedRequest.matched}),
 * so the request keeps its signal (a spread copy would lose the accessor).
 */
export class ServedRequest implements MiRequest {
  readonly command: string;
  readonly args: readonly MiArgument[];
  readonly rawArgs: readonly MiArgument[];
  readonly datagram: Uint8Array;
  readonly protocol: MiProtocol;
  readonly shared: MiSharedStore;
  params?: ParamValues;
  recipe?: number;
  /** Set by the guard step: the listener the request came in on. */
  listener?: MiListener;
  readonly #run: HandlerRun;

  constructor(
    command: string,
    args: readonly MiArgument[],
    datagram: Uint8Array,
    run: HandlerRun,
    protocol: MiProtocol,
    shared: MiSharedStore,
  ) {
    this.command = command;
    this.args = args;
    this.rawArgs = args;
    this.datagram = datagram;
    this.protocol = protocol;
    this.shared = shared;
    this.#run = run;
  }

  get signal(): AbortSignal {
    return this.#run.signal;
  }

  /** Records the recipe the parameters matched, with their converted values. */
  matched(params: ParamValues, recipe: number): this {
    this.params = params;
    this.recipe = recipe;
    return this;
  }
}
