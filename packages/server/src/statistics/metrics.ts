/** Hot-path counters of the request path: reply status classes and per-command latency. */
import { byName, type CommandStats, commandStats, LatencyHistogram } from './histogram.js';
import type { CommandHistogramSnapshot } from './snapshot.js';

/**
 * Replies the server produced, by the first digit of their status. A
 * JSON-RPC response counts by its outcome (each response of a batch once):
 * a `result` is 2xx, an error with an MI status (100..999, e.g. 403, 429, a
 * handler's 404) counts in that status's class, and a JSON-RPC protocol
 * error (-32700 … -32600, -32603, -32000 …) in `jsonrpc_errors`.
 */
export interface ReplyClasses {
  readonly '2xx': number;
  readonly '4xx': number;
  readonly '5xx': number;
  /** Any other status class (1xx, 3xx, 6xx …). */
  readonly other: number;
  /** JSON-RPC error responses with a JSON-RPC code (negative), not an MI status. */
  readonly jsonrpc_errors: number;
}

/** Hot-path counters of the pipeline besides MiServer's own. */
export class PipelineMetrics {
  replies2xx = 0;
  replies4xx = 0;
  replies5xx = 0;
  repliesOther = 0;
  jsonRpcErrors = 0;
  readonly #commands = new Map<string, LatencyHistogram>();

  /** Counts a reply by its first byte ('2', '4', '5', anything else). */
  countReply(bytes: Uint8Array): void {
    switch (bytes[0]) {
      case 0x32:
        this.replies2xx++;
        break;
      case 0x34:
        this.replies4xx++;
        break;
      case 0x35:
        this.replies5xx++;
        break;
      default:
        this.repliesOther++;
    }
  }

  /**
   * Counts one JSON-RPC response by its outcome: `null` for a result, else
   * the error's code (an MI status 100..999 by its class, anything else in
   * `jsonrpc_errors`). The pipeline knows the outcome: no bytes are read.
   */
  countJsonRpc(errorCode: number | null): void {
    if (errorCode === null) this.replies2xx++;
    else if (errorCode >= 200 && errorCode <= 299) this.replies2xx++;
    else if (errorCode >= 400 && errorCode <= 499) this.replies4xx++;
    else if (errorCode >= 500 && errorCode <= 599) this.replies5xx++;
    else if (errorCode >= 100 && errorCode <= 999) this.repliesOther++;
    else this.jsonRpcErrors++;
  }

  /** Records one call of `command` that started at `startedMs` (`performance.now()`). */
  recordCall(command: string, startedMs: number): void {
    let h = this.#commands.get(command);
    if (h === undefined) {
      h = new LatencyHistogram();
      this.#commands.set(command, h);
    }
    h.record((performance.now() - startedMs) * 1000);
  }

  replies(): ReplyClasses {
    return {
      '2xx': this.replies2xx,
      '4xx': this.replies4xx,
      '5xx': this.replies5xx,
      other: this.repliesOther,
      jsonrpc_errors: this.jsonRpcErrors,
    };
  }

  commands(): CommandStats[] {
    const out: CommandStats[] = [];
    for (const [name, h] of this.#commands) out.push(commandStats(name, h));
    return out.sort(byName);
  }

  /** The raw histograms (mergeable with those of other processes, see {@link mergeStatsSnapshots}). */
  histograms(): CommandHistogramSnapshot[] {
    const out: CommandHistogramSnapshot[] = [];
    for (const [name, h] of this.#commands) {
      out.push({ name, maxUs: h.max, buckets: h.buckets() });
    }
    return out;
  }
}
