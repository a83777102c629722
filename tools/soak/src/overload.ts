/**
 * The overload phase of the soak (issue 15): several local senders flood the
 * server with large requests to a command that never finishes, as fast as it
 * takes them, while another client asks `:version:` every few milliseconds.
 * The server must stay within its in-flight bound: its memory grows by less
 * than `maxGrowthMiB`, `:version:` keeps being answered fast, every flood
 * request gets a reply (`503 server busy`, `504 command timed out`) or is
 * dropped by the kernel, and afterwards the server serves normally.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Channel, openChannel, type ServerAddress } from './channels.js';
import type { Transport } from './generate.js';
import { alive, childPids, rssKiB, udpRcvbufErrors } from './procs.js';
import { type SoakServer, startSoakServer } from './server-process.js';

const FLOOD_SENDER = fileURLToPath(new URL('./flood-sender.mjs', import.meta.url));

export interface OverloadOptions {
  readonly transport: Transport;
  /** `children_count` of the server. */
  readonly children: number;
  /** How long the flood sends. */
  readonly floodMs: number;
  /** Flooding sockets (sources). */
  readonly senders: number;
  /** Size of each flood request. */
  readonly requestBytes: number;
  /** Unanswered flood requests each sender allows itself. */
  readonly window: number;
  /** The never-finishing command the flood calls. */
  readonly command: string;
  /** The server's `--command-timeout` (ms); null: its default. */
  readonly commandTimeoutMs: number | null;
  /** The deadline the server applies (to know how long replies can take): the default when null above. */
  readonly effectiveTimeoutMs: number;
  /** Pause between two `:version:` probes. */
  readonly probeEveryMs: number;
  /** Bounds asserted. */
  readonly maxGrowthMiB: number;
  readonly maxP99Ms: number;
  /** `:version:` probes allowed to go unanswered (2 s) or wrong. */
  readonly maxProbeFailures: number;
  readonly log: (line: string) => void;
}

export const DEFAULT_OVERLOAD_OPTIONS: OverloadOptions = {
  transport: 'unix',
  children: 1,
  floodMs: 15_000,
  senders: 4,
  requestBytes: 60_000,
  window: 4000,
  command: 'soak_stuck',
  commandTimeoutMs: null,
  effectiveTimeoutMs: 10_000,
  probeEveryMs: 20,
  maxGrowthMiB: 200,
  maxP99Ms: 100,
  maxProbeFailures: 0,
  log: () => {},
};

export interface FloodResult {
  readonly durationMs: number;
  readonly senders: readonly {
    readonly sent: number;
    readonly clientDropped: number;
    readonly replies: Readonly<Record<string, number>>;
    readonly unanswered: number;
    readonly examples: readonly string[];
  }[];
}

export interface OverloadReport {
  readonly transport: Transport;
  readonly children: number;
  readonly floodMs: number;
  readonly requestBytes: number;
  readonly senders: number;
  /** Sum of the server processes' RSS before the flood, and its peak during it (MiB). */
  readonly baselineMiB: number;
  readonly peakMiB: number;
  readonly growthMiB: number;
  /** RSS (MiB) after the flood drained. */
  readonly afterMiB: number;
  readonly probes: number;
  readonly probeTimeouts: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly flood: {
    readonly sent: number;
    readonly busy: number;
    readonly timedOut: number;
    readonly other: number;
    readonly clientDropped: number;
    readonly unanswered: number;
    readonly examples: readonly string[];
  };
  /** Kernel-wide UDP receive-buffer drops during the phase (an upper bound of this run's). */
  readonly kernelUdpDrops: number;
  /** The server's own counters after the flood (`mi_stats`). */
  readonly serverCounters: Readonly<Record<string, string>>;
  /** Normal requests answered correctly after the flood, of those sent. */
  readonly afterwards: { readonly ok: number; readonly of: number };
  readonly stop: { code: number | null; signal: string | null; ms: number; forced: boolean };
  readonly failures: readonly string[];
}

const te = new TextEncoder();
const td = new TextDecoder();
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Sum of the RSS of the server and its workers, KiB. */
function serverRssKiB(pid: number): number {
  return [pid, ...childPids(pid)].reduce((n, p) => n + (rssKiB(p) ?? 0), 0);
}

/** Request/reply on one channel, sequentially (the channel expects one reply at a time). */
class Exchanger {
  #waiting: ((reply: Uint8Array | null) => void) | null = null;
  channel: Channel | null = null;

  onReply = (data: Uint8Array) => {
    const w = this.#waiting;
    this.#waiting = null;
    w?.(data);
  };

  async ask(data: Uint8Array, timeoutMs: number): Promise<Uint8Array | null> {
    const channel = this.channel;
    if (channel === null) return null;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiting = null;
        resolve(null);
      }, timeoutMs);
      this.#waiting = (reply) => {
        clearTimeout(timer);
        resolve(reply);
      };
      channel.send(data);
    });
  }
}

async function exchanger(
  transport: Transport,
  address: ServerAddress,
  dir: string,
): Promise<Exchanger> {
  const x = new Exchanger();
  x.channel = await openChannel(transport, address, dir, x.onReply);
  return x;
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0;
}

function runFlood(options: Record<string, unknown>): Promise<FloodResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [FLOOD_SENDER, JSON.stringify(options)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      out += c;
    });
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      if (err.length < 10_000) err += c;
    });
    child.once('exit', (code) => {
      try {
        resolve(JSON.parse(out.trim().split('\n').pop() ?? '') as FloodResult);
      } catch {
        reject(new Error(`flood sender exited with ${code}: ${err.trim().slice(0, 500)}`));
      }
    });
  });
}

/** `Name:: value` lines of an `mi_stats` reply. */
function counters(text: string, names: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) {
    out[name] = new RegExp(`^${name}:: (\\d+)$`, 'm').exec(text)?.[1] ?? '?';
  }
  return out;
}

const COUNTER_NAMES = ['Requests', 'Busy', 'Timed out', 'Late results', 'Dropped replies'];

export async function runOverload(partial: Partial<OverloadOptions> = {}): Promise<OverloadReport> {
  const o: OverloadOptions = { ...DEFAULT_OVERLOAD_OPTIONS, ...partial };
  const failures: string[] = [];
  const dir = await mkdtemp(join(tmpdir(), 'mi-overload-'));
  const serverDir = join(dir, 'server');
  const clientDir = join(dir, 'clients');
  await mkdir(serverDir);
  await mkdir(clientDir);
  const unixPath = join(serverDir, 'mi.sock');
  let server: SoakServer | null = null;
  try {
    server = await startSoakServer({
      unixPath,
      children: o.children,
      socketTimeoutMs: 2000,
      extraArgs:
        o.commandTimeoutMs === null ? [] : ['--command-timeout', String(o.commandTimeoutMs)],
    });
    const srv = server;
    const address: ServerAddress = { unixPath, udpPort: srv.udpPort };
    const version = te.encode(':version:\n');

    // Warm-up (JIT, buffers), then the baseline.
    const warm = await exchanger(o.transport, address, clientDir);
    for (let i = 0; i < 300; i++)
      await warm.ask(i % 2 === 0 ? version : te.encode(':echo:\nw\n'), 2000);
    await sleep(500);
    const baselineKiB = serverRssKiB(srv.pid);
    const udpDropsBefore = udpRcvbufErrors();
    o.log(
      `overload ${o.transport}, children ${o.children}: baseline RSS ${(baselineKiB / 1024).toFixed(1)} MiB; flooding ${o.floodMs} ms with ${o.senders} senders of ${o.requestBytes}-byte :${o.command}: requests`,
    );

    // The flood, in its own process.
    let flooding = true;
    const drainMs = o.effectiveTimeoutMs + 4000;
    const flood = runFlood({
      transport: o.transport,
      unixPath,
      udpPort: srv.udpPort,
      dir: clientDir,
      senders: o.senders,
      bytes: o.requestBytes,
      command: o.command,
      durationMs: o.floodMs,
      drainMs,
      window: o.window,
    }).finally(() => {
      flooding = false;
    });

    // `:version:` from another client throughout, and the server's RSS.
    const latencies: number[] = [];
    let probeTimeouts = 0;
    let peakKiB = baselineKiB;
    const prober = (async () => {
      let x = await exchanger(o.transport, address, clientDir);
      while (flooding) {
        const t = performance.now();
        const reply = await x.ask(version, 2000);
        if (reply === null || td.decode(reply.subarray(0, 7)) !== '200 OK\n') {
          probeTimeouts++;
          if (reply === null) {
            // A late reply must not be taken for the next probe's: fresh socket.
            await x.channel?.close();
            x = await exchanger(o.transport, address, clientDir);
          }
        } else {
          latencies.push(performance.now() - t);
        }
        await sleep(o.probeEveryMs);
      }
      await x.channel?.close();
    })();
    const sampler = (async () => {
      while (flooding) {
        const kib = serverRssKiB(srv.pid);
        if (kib > peakKiB) peakKiB = kib;
        if (!alive(srv.pid)) {
          failures.push('the server died during the flood');
          return;
        }
        await sleep(200);
      }
    })();
    const result = await flood;
    await Promise.all([prober, sampler]);
    const afterKiB = serverRssKiB(srv.pid);
    const kernelUdpDrops = Math.max(0, udpRcvbufErrors() - udpDropsBefore);

    // Normal service afterwards.
    let ok = 0;
    const of = 200;
    for (let i = 0; i < of; i++) {
      const reply = await warm.ask(te.encode(`:echo:\nafter ${i}\n`), 2000);
      if (reply !== null && td.decode(reply) === `200 OK\nafter ${i}\n\n`) ok++;
    }
    const stats = await warm.ask(te.encode(':mi_stats:\n'), 3000);
    await warm.channel?.close();
    const serverCounters = counters(stats === null ? '' : td.decode(stats), COUNTER_NAMES);

    const flat = result.senders;
    const sum = (f: (s: FloodResult['senders'][number]) => number) =>
      flat.reduce((n, s) => n + f(s), 0);
    const floodSummary = {
      sent: sum((s) => s.sent),
      busy: sum((s) => s.replies['503'] ?? 0),
      timedOut: sum((s) => s.replies['504'] ?? 0),
      other: sum((s) =>
        Object.entries(s.replies)
          .filter(([k]) => k !== '503' && k !== '504')
          .reduce((n, [, v]) => n + v, 0),
      ),
      clientDropped: sum((s) => s.clientDropped),
      unanswered: sum((s) => s.unanswered),
      examples: flat.flatMap((s) => s.examples).slice(0, 5),
    };
    const sorted = [...latencies].sort((a, b) => a - b);
    const growthMiB = (peakKiB - baselineKiB) / 1024;
    const p99Ms = quantile(sorted, 0.99);
    if (growthMiB >= o.maxGrowthMiB) {
      failures.push(`memory grew by ${growthMiB.toFixed(1)} MiB (bound ${o.maxGrowthMiB})`);
    }
    if (p99Ms >= o.maxP99Ms) {
      failures.push(`:version: p99 ${p99Ms.toFixed(1)} ms during the flood (bound ${o.maxP99Ms})`);
    }
    if (probeTimeouts > o.maxProbeFailures)
      failures.push(`${probeTimeouts} :version: probes unanswered or wrong`);
    if (floodSummary.busy === 0) {
      failures.push('the flood never met the in-flight bound (no 503 server busy)');
    }
    if (floodSummary.other > 0) {
      failures.push(`${floodSummary.other} flood replies other than 503/504`);
    }
    const droppedReplies = Number(serverCounters['Dropped replies'] ?? 0) || 0;
    // UNIX datagrams are not dropped by the kernel (the sender is held back);
    // the server may give up a reply after socket_timeout (counted).
    const allowed = droppedReplies + (o.transport === 'udp' ? kernelUdpDrops : 0);
    if (floodSummary.unanswered > allowed) {
      failures.push(
        `${floodSummary.unanswered} flood requests unanswered, more than the drops accounted for (${allowed})`,
      );
    }
    if (ok !== of) failures.push(`after the flood only ${ok} of ${of} echo requests answered`);
    const stop = await srv.stop();
    if (stop.forced || stop.code !== 0) {
      failures.push(`server did not stop cleanly on SIGTERM: ${JSON.stringify(stop)}`);
    }
    const report: OverloadReport = {
      transport: o.transport,
      children: o.children,
      floodMs: o.floodMs,
      requestBytes: o.requestBytes,
      senders: o.senders,
      baselineMiB: round1(baselineKiB / 1024),
      peakMiB: round1(peakKiB / 1024),
      growthMiB: round1(growthMiB),
      afterMiB: round1(afterKiB / 1024),
      probes: latencies.length + probeTimeouts,
      probeTimeouts,
      p50Ms: round1(quantile(sorted, 0.5)),
      p99Ms: round1(p99Ms),
      maxMs: round1(sorted[sorted.length - 1] ?? 0),
      flood: floodSummary,
      kernelUdpDrops,
      serverCounters,
      afterwards: { ok, of },
      stop,
      failures,
    };
    o.log(
      `overload ${o.transport}, children ${o.children}: growth ${report.growthMiB} MiB, version p99 ${report.p99Ms} ms, flood ${floodSummary.sent} sent / ${floodSummary.busy} busy / ${floodSummary.timedOut} timed out / ${floodSummary.unanswered} unanswered; ${failures.length === 0 ? 'ok' : failures.join('; ')}`,
    );
    return report;
  } finally {
    if (server !== null && server.child.exitCode === null && server.child.signalCode === null) {
      await server.stop(5000);
    }
    await rm(dir, { recursive: true, force: true });
  }
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}
