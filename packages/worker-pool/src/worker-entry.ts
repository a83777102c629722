/**
 * The program each worker process runs (forked by the primary as
 * dist/worker-entry.js). It waits for `init`, imports the user's module,
 * calls its `startWorker` (or default export) with a {@link WorkerContext},
 * reports `ready`, and stops gracefully when the primary says so or goes away.
 * The parts: the IPC channel (worker-channel.ts), the context object
 * (worker-context-impl.ts), socket adoption (worker-sockets.ts), requests to
 * this worker (worker-requests.ts) and the graceful stop (worker-stop.ts).
 */
import { errorMessage } from './errors.js';
import { type InitMessage, IPC_TAG, parsePrimaryMessage } from './messages.js';
import {
  DEFAULT_TIMEOUT_MS,
  failOutstandingCalls,
  onCallResponse,
  post,
} from './worker-channel.js';
import type { StartWorker } from './worker-context.js';
import { context } from './worker-context-impl.js';
import { answer } from './worker-requests.js';
import { initMessage, isStopping, setInitMessage, setTableSnapshot } from './worker-state.js';
import { stop } from './worker-stop.js';

/** How long a worker whose primary vanished may take to finish its in-flight requests. */
const ORPHAN_GRACE_MS = 1_000;

function pickStart(module: unknown): StartWorker | null {
  if (typeof module !== 'object' || module === null) return null;
  const named: unknown = (module as { startWorker?: unknown }).startWorker;
  if (typeof named === 'function') return named as StartWorker;
  const fallback: unknown = (module as { default?: unknown }).default;
  if (typeof fallback === 'function') return fallback as StartWorker;
  return null;
}

async function start(message: InitMessage): Promise<void> {
  try {
    const module: unknown = await import(message.moduleUrl);
    const startWorker = pickStart(module);
    if (startWorker === null) {
      throw new Error(`${message.moduleUrl} exports neither startWorker nor a default function`);
    }
    await startWorker(context);
  } catch (error) {
    const text = errorMessage(error);
    // Exit only once the primary has the reason (it logs it with the restart).
    if (!post({ tag: IPC_TAG, t: 'failed', message: text }, () => process.exit(1))) {
      process.stderr.write(
        `[worker-pool worker ${message.workerId} pid ${process.pid}] start failed: ${text}\n`,
      );
      process.exit(1);
    }
    return;
  }
  if (!isStopping()) post({ tag: IPC_TAG, t: 'ready' });
}

function onPrimaryMessage(raw: unknown, handle: unknown): void {
  const message = parsePrimaryMessage(raw);
  if (message === null) return;
  switch (message.t) {
    case 'init':
      if (initMessage() !== null) return;
      setInitMessage(message);
      void start(message);
      return;
    case 'table':
      setTableSnapshot(Object.freeze({ generation: message.generation, members: message.members }));
      return;
    case 'stop':
      void stop('stop requested', message.graceMs);
      return;
    case 'req':
      void answer(message);
      return;
    case 'res':
      onCallResponse(message, handle);
      return;
  }
}

if (process.send === undefined) {
  process.stderr.write('worker-entry.js is started by @mi-datagram/worker-pool, not by hand\n');
  process.exit(2);
}
process.on('message', onPrimaryMessage);
// The primary is gone (even SIGKILLed): its end of the IPC channel closed.
process.on('disconnect', () => {
  failOutstandingCalls();
  void stop('primary went away', ORPHAN_GRACE_MS);
});
// Ctrl-C reaches the whole process group: let the primary coordinate the shutdown.
process.on('SIGINT', () => {});
// A hangup (terminal closed, `kill -HUP` of the group) never stops a worker:
// the primary handles SIGHUP for the whole server.
process.on('SIGHUP', () => {});
process.on('SIGTERM', () => void stop('SIGTERM', DEFAULT_TIMEOUT_MS));
