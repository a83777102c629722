/**
 * The soak: a live server (UNIX + UDP), closed-loop client slots sending
 * hostile datagrams whose replies are checked against the oracle, faults
 * (SIGKILL / SIGSTOP of workers, clients that never read, a throwing and a
 * hanging command), and /proc sampling of every server process.
 */
import { lstatSync, readdirSync, unlinkSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { type Channel, openChannel, openNonReader, type ServerAddress } from './channels.js';
import { HostileGenerator, loadVectors, type SoakItem, type Transport } from './generate.js';
import { matches, type OracleContext, predict, show, showExpectation } from './oracle.js';
import { alive, childPids, fdCount, procState, rssKiB } from './procs.js';
import { Rng } from './random.js';
import { type SoakServer, startSoakServer } from './server-process.js';

export interface SoakOptions {
  /** Hostile datagrams to send and check (both transports together). */
  readonly datagrams: number;
  /** `children_count` of the server. */
  readonly children: number;
  /** Concurrent client slots per transport (each keeps one request outstanding). */
  readonly slotsPerTransport: number;
  readonly seed: number;
  /** A reply not received within this is "unanswered" (then accounted for). */
  readonly replyTimeoutMs: number;
  /** The server's socket_timeout (drop of replies to clients that never read). */
  readonly socketTimeoutMs: number;
  /** Worker SIGKILL / SIGSTOP start after this fraction of the datagrams (the first part measures RSS without restarts). */
  readonly faultsFrom: number;
  readonly killEveryMs: number;
  readonly stopEveryMs: number;
  readonly stopMs: number;
  /** Clients that send `:which:` and never read. */
  readonly nonReaders: boolean;
  /** Remove the socket file at the end and check the server's reaction. */
  readonly socketRemoval: boolean;
  /**
   * Keep sending (past `datagrams`) until this many workers were SIGKILLed and
   * this many SIGSTOPs done, plus 500 ms of traffic after the last one, so a
   * short run cannot finish before its faults (the CI soak).
   */
  readonly minKills: number;
  readonly minStops: number;
  /** Hard bound of the whole run. */
  readonly maxDurationMs: number;
  readonly log: (line: string) => void;
}

export const DEFAULT_SOAK_OPTIONS: SoakOptions = {
  datagrams: 200_000,
  children: 2,
  slotsPerTransport: 12,
  seed: 1,
  replyTimeoutMs: 2500,
  socketTimeoutMs: 500,
  faultsFrom: 0.5,
  killEveryMs: 3000,
  stopEveryMs: 5000,
  stopMs: 800,
  nonReaders: true,
  socketRemoval: true,
  minKills: 0,
  minStops: 0,
  maxDurationMs: 10 * 60_000,
  log: () => {},
};

interface Example {
  readonly transport: Transport;
  readonly category: string;
  readonly datagram: string;
  readonly expected: string;
  readonly actual: string;
  readonly previous?: string;
}

interface Unanswered {
  readonly transport: Transport;
  readonly category: string;
  readonly datagram: string;
  readonly sentAt: number;
  readonly clientDrop: boolean;
  /** This (client) process stalled for over a second while waiting (CPU starvation, GC). */
  readonly clientStall: boolean;
}

function firstOfEach(lines: readonly string[]): string[] {
  const seen = new Map<string, string>();
  for (const line of lines) {
    const m = /"msg":"([^"]*)"/.exec(line);
    seen.set(m?.[1] ?? line.slice(0, 40), line);
  }
  return [...seen.values()].slice(0, 10);
}

export interface ProcessSample {
  readonly pid: number;
  readonly role: 'primary' | 'worker';
  readonly rssKiB: number | null;
  readonly fds: number | null;
}

export interface Mark {
  readonly name: string;
  readonly atMs: number;
  readonly sent: number;
  readonly processes: readonly ProcessSample[];
  readonly socketFiles: readonly string[];
}

export interface SoakReport {
  readonly options: Omit<SoakOptions, 'log'>;
  readonly jsonrpc: boolean;
  readonly workersAtStart: readonly number[];
  readonly durationMs: number;
  readonly sent: number;
  readonly sentByTransport: Readonly<Record<Transport, number>>;
  readonly byCategory: Readonly<
    Record<string, { sent: number; checked: number; mismatched: number }>
  >;
  readonly byExpected: Readonly<Record<string, number>>;
  readonly noReplyExpected: number;
  readonly matched: number;
  readonly mismatched: number;
  readonly mismatchExamples: readonly Example[];
  readonly unexpectedReplies: number;
  readonly unexpectedExamples: readonly string[];
  readonly clientSendDrops: number;
  readonly unanswered: {
    readonly total: number;
    readonly lostOnKilledWorker: number;
    readonly clientSendDrop: number;
    readonly clientStalled: number;
    readonly neverAnswered: number;
    readonly examples: readonly Unanswered[];
  };
  readonly kills: readonly { atMs: number; pid: number }[];
  readonly stops: readonly { atMs: number; pid: number; ms: number }[];
  readonly restarts: number;
  readonly workerPidsSeen: number;
  readonly nonReaderSent: number;
  readonly marks: readonly Mark[];
  /** Event-loop stalls of the soak process over 1 s (its timeouts then say nothing about the server). */
  readonly clientStalls: readonly { endMs: number; ms: number }[];
  readonly clientMaxLagMs: number;
  readonly rssGrowthPer100k: readonly { pid: number; role: string; phase: string; kib: number }[];
  readonly finalProbe: Readonly<Record<Transport, string>>;
  /** Requests and dropped replies as `mi_stats` reports them (one process with workers). */
  readonly miStats: string;
  readonly socketRemoval: string;
  readonly stop: { code: number | null; signal: string | null; ms: number; forced: boolean };
  readonly socketFileAfterStop: boolean;
  readonly leftoverProcesses: readonly number[];
  readonly logCounts: readonly [string, number][];
  /** The last logged line of each distinct message (up to 10). */
  readonly logExamples: readonly string[];
  /** Reasons the run failed; empty when everything held. */
  readonly failures: readonly string[];
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** One request/reply exchange with a timeout, on a throwaway socket. */
async function probe(
  transport: Transport,
  server: ServerAddress,
  dir: string,
  data: Uint8Array,
  timeoutMs = 3000,
): Promise<Uint8Array | null> {
  let done: (reply: Uint8Array | null) => void = () => {};
  const reply = new Promise<Uint8Array | null>((resolve) => {
    done = resolve;
  });
  const channel = await openChannel(transport, server, dir, (d) => done(d));
  const timer = setTimeout(() => done(null), timeoutMs);
  channel.send(data);
  const result = await reply;
  clearTimeout(timer);
  await channel.close();
  return result;
}

const te = new TextEncoder();

export async function runSoak(partial: Partial<SoakOptions> = {}): Promise<SoakReport> {
  const o: SoakOptions = { ...DEFAULT_SOAK_OPTIONS, ...partial };
  const failures: string[] = [];
  const dir = await mkdtemp(join(tmpdir(), 'mi-soak-'));
  const serverDir = join(dir, 'server');
  const clientDir = join(dir, 'clients');
  await mkdir(serverDir);
  await mkdir(clientDir);
  const unixPath = join(serverDir, 'mi.sock');
  let server: SoakServer | null = null;
  const stopped = new Set<number>();
  const t0 = performance.now();
  const now = () => performance.now() - t0;
  try {
    server = await startSoakServer({
      unixPath,
      children: o.children,
      socketTimeoutMs: o.socketTimeoutMs,
    });
    const srv = server;
    const address: ServerAddress = { unixPath, udpPort: srv.udpPort };
    const workersAtStart = childPids(srv.pid);
    // Does this server speak JSON-RPC on the socket (issue 7)? Else `{` is legacy text.
    const rpcReply = await probe(
      'udp',
      address,
      clientDir,
      te.encode('{"jsonrpc":"2.0","method":"version","id":1}'),
    );
    const jsonrpc = rpcReply !== null && rpcReply[0] === 0x7b;
    const ctx: OracleContext = { jsonrpc };
    o.log(
      `server pid ${srv.pid} (${o.children} children; workers ${workersAtStart.join(' ') || 'none: in-process'}), ${unixPath} + udp:127.0.0.1:${srv.udpPort}, JSON-RPC ${jsonrpc ? 'on' : 'off'}`,
    );
    const gen = new HostileGenerator(new Rng(o.seed), loadVectors(), ctx);

    // ---- accounting
    let sent = 0;
    const sentByTransport: Record<Transport, number> = { unix: 0, udp: 0 };
    const byCategory: Record<string, { sent: number; checked: number; mismatched: number }> = {};
    const byExpected: Record<string, number> = {};
    let noReplyExpected = 0;
    let matched = 0;
    let mismatched = 0;
    const mismatchExamples: Example[] = [];
    let unexpectedReplies = 0;
    const unexpectedExamples: string[] = [];
    let clientSendDrops = 0;
    const unanswered: Unanswered[] = [];
    const kills: { atMs: number; pid: number }[] = [];
    const stops: { atMs: number; pid: number; ms: number }[] = [];
    const workerPids = new Set<number>(workersAtStart);
    const marks: Mark[] = [];
    const stalls: { endMs: number; ms: number }[] = [];
    let maxLagMs = 0;
    let lastTick = now();
    const lagTimer = setInterval(() => {
      const t = now();
      const lag = t - lastTick - 50;
      lastTick = t;
      if (lag > maxLagMs) maxLagMs = lag;
      if (lag > 1000) stalls.push({ endMs: t, ms: Math.round(lag) });
    }, 50);
    const deadline = o.maxDurationMs;
    const faultsDone = () => {
      const needKills = o.children > 1 ? o.minKills : 0;
      if (needKills === 0 && o.minStops === 0) return true;
      if (kills.length < needKills || stops.length < o.minStops) return false;
      const last = Math.max(0, ...kills.map((k) => k.atMs), ...stops.map((st) => st.atMs + st.ms));
      return now() - last > 500;
    };
    const more = () => (sent < o.datagrams || !faultsDone()) && now() < deadline;
    let finished = false;

    const mark = (name: string) => {
      const processes: ProcessSample[] = [
        { pid: srv.pid, role: 'primary', rssKiB: rssKiB(srv.pid), fds: fdCount(srv.pid) },
        ...childPids(srv.pid).map(
          (pid): ProcessSample => ({ pid, role: 'worker', rssKiB: rssKiB(pid), fds: fdCount(pid) }),
        ),
      ];
      let socketFiles: string[] = [];
      try {
        socketFiles = readdirSync(serverDir);
      } catch {
        socketFiles = ['(server dir unreadable)'];
      }
      marks.push({ name, atMs: Math.round(now()), sent, processes, socketFiles });
    };

    // ---- client slots
    const slot = async (transport: Transport, index: number) => {
      let pending: {
        item: SoakItem;
        resolve: (r: 'reply' | 'timeout') => void;
        previous: SoakItem | null;
      } | null = null;
      const onReply = (data: Uint8Array) => {
        const p = pending;
        if (p === null) {
          unexpectedReplies++;
          if (unexpectedExamples.length < 10)
            unexpectedExamples.push(`${transport}#${index}: ${show(data)}`);
          return;
        }
        pending = null;
        const cat = byCategory[p.item.category];
        if (matches(p.item.expect, data)) {
          matched++;
        } else {
          mismatched++;
          if (cat !== undefined) cat.mismatched++;
          if (mismatchExamples.length < 20) {
            mismatchExamples.push({
              transport,
              category: p.item.category,
              datagram: show(p.item.data),
              expected: showExpectation(p.item.expect),
              actual: show(data),
              ...(p.previous === null
                ? {}
                : { previous: `${p.previous.category} ${show(p.previous.data, 60)}` }),
            });
          }
        }
        p.resolve('reply');
      };
      let channel: Channel = await openChannel(transport, address, clientDir, onReply);
      let previous: SoakItem | null = null;
      while (more()) {
        for (const item of gen.next(transport)) {
          if (!more()) break;
          sent++;
          sentByTransport[transport]++;
          const cat = byCategory[item.category] ?? { sent: 0, checked: 0, mismatched: 0 };
          byCategory[item.category] = cat;
          cat.sent++;
          byExpected[item.expect.label] = (byExpected[item.expect.label] ?? 0) + 1;
          const dropsBefore = channel.sendDrops();
          const sentAt = now();
          if (item.expect.kind === 'none') {
            if (channel.send(item.data) === 'dropped') clientSendDrops++;
            noReplyExpected++;
            previous = item;
            continue;
          }
          cat.checked++;
          const outcome = await new Promise<'reply' | 'timeout' | 'dropped'>((resolve) => {
            const timer = setTimeout(() => {
              // Timers run before I/O in an event-loop turn: after a stall of this
              // process, a reply already waiting in the socket is read first.
              setImmediate(() => {
                if (pending?.item !== item) return;
                pending = null;
                resolve('timeout');
              });
            }, o.replyTimeoutMs);
            pending = {
              item,
              previous,
              resolve: (r) => {
                clearTimeout(timer);
                resolve(r);
              },
            };
            if (channel.send(item.data) === 'dropped') {
              clearTimeout(timer);
              pending = null;
              resolve('dropped');
            }
          });
          previous = item;
          if (outcome === 'dropped') {
            clientSendDrops++;
          } else if (outcome === 'timeout') {
            unanswered.push({
              transport,
              category: item.category,
              datagram: show(item.data, 80),
              sentAt,
              clientDrop: channel.sendDrops() > dropsBefore,
              clientStall: stalls.some(
                (st) => st.endMs > sentAt && st.endMs - st.ms < sentAt + o.replyTimeoutMs,
              ),
            });
            // A late reply must not be taken for the next request's: fresh socket.
            const old = channel;
            channel = await openChannel(transport, address, clientDir, onReply);
            void old.close();
            previous = null;
          }
        }
      }
      await channel.close();
    };

    // ---- clients that never read
    let nonReaderSent = 0;
    const nonReaderLoop = async () => {
      if (!o.nonReaders) return;
      const readers = [
        await openNonReader('unix', address, clientDir),
        await openNonReader('unix', address, clientDir),
        await openNonReader('udp', address, clientDir),
      ];
      const which = te.encode(':which:\n');
      while (!finished) {
        for (const r of readers) for (let i = 0; i < 5; i++) r.send(which);
        await sleep(200);
      }
      for (const r of readers) nonReaderSent += r.sent();
      await Promise.all(readers.map((r) => r.close()));
    };

    // ---- faults
    const faultLoop = async () => {
      const rng = new Rng(o.seed ^ 0x5eed);
      let nextKill = 0;
      let nextStop = 0;
      while (!finished) {
        await sleep(50);
        if (sent < o.datagrams * o.faultsFrom) continue;
        const t = now();
        if (nextKill === 0) {
          nextKill = t + 200;
          nextStop = t + o.stopEveryMs / 2;
        }
        const workers = childPids(srv.pid).filter((p) => !stopped.has(p));
        for (const p of workers) workerPids.add(p);
        if (o.children > 1 && t >= nextKill && workers.length > 0) {
          const pid = rng.pick(workers);
          try {
            process.kill(pid, 'SIGKILL');
            kills.push({ atMs: Math.round(t), pid });
          } catch {
            // already gone
          }
          nextKill = t + o.killEveryMs * (0.6 + 0.8 * rng.next());
        }
        if (t >= nextStop) {
          // With workers: stop one; in-process server (children 1): stop the server itself.
          const pid = o.children > 1 ? (workers.length > 0 ? rng.pick(workers) : null) : srv.pid;
          if (pid !== null && !stopped.has(pid)) {
            try {
              process.kill(pid, 'SIGSTOP');
              stopped.add(pid);
              stops.push({ atMs: Math.round(t), pid, ms: o.stopMs });
              setTimeout(() => {
                stopped.delete(pid);
                try {
                  process.kill(pid, 'SIGCONT');
                } catch {
                  // gone
                }
              }, o.stopMs);
            } catch {
              // gone
            }
          }
          nextStop = t + o.stopEveryMs * (0.6 + 0.8 * rng.next());
        }
      }
    };

    // ---- progress and marks
    const monitor = async () => {
      let lastLog = 0;
      let marked = { start: false, warm: false, middle: false };
      while (!finished) {
        await sleep(100);
        for (const p of childPids(srv.pid)) workerPids.add(p);
        if (!marked.start && sent >= Math.min(o.datagrams * 0.05, 10_000)) {
          mark('start');
          marked = { ...marked, start: true };
        }
        if (!marked.warm && sent >= o.datagrams * o.faultsFrom * 0.5) {
          mark('warm');
          marked = { ...marked, warm: true };
        }
        if (!marked.middle && sent >= o.datagrams * o.faultsFrom) {
          mark('middle');
          marked = { ...marked, middle: true };
        }
        if (now() - lastLog >= 5000) {
          lastLog = now();
          const rss = [srv.pid, ...childPids(srv.pid)].map((p) => rssKiB(p) ?? 0);
          o.log(
            `${(now() / 1000).toFixed(0)} s: sent ${sent} (${Math.round(sent / (now() / 1000))}/s), mismatches ${mismatched}, unanswered ${unanswered.length}, kills ${kills.length}, stops ${stops.length}, RSS MiB ${rss.map((k) => (k / 1024).toFixed(0)).join('/')}`,
          );
        }
        if (!alive(srv.pid)) {
          failures.push('the server process died during the soak');
          break;
        }
      }
    };

    const slots: Promise<void>[] = [];
    for (let i = 0; i < o.slotsPerTransport; i++) {
      slots.push(slot('unix', i), slot('udp', i));
    }
    const background = [nonReaderLoop(), faultLoop(), monitor()];
    await Promise.all(slots);
    // Let replies to the last requests (and spurious ones) arrive.
    await sleep(300);
    finished = true;
    await Promise.all(background);
    clearInterval(lagTimer);
    for (const pid of stopped) {
      try {
        process.kill(pid, 'SIGCONT');
      } catch {
        // gone
      }
    }
    await sleep(o.stopMs);
    if (!marks.some((m) => m.name === 'start')) mark('start');
    if (!marks.some((m) => m.name === 'middle')) mark('middle');
    mark('end');
    if (now() >= deadline)
      failures.push(`hit the time bound (${o.maxDurationMs} ms) before sending everything`);

    // ---- the server still answers on both transports
    const finalProbe: Record<Transport, string> = { unix: '', udp: '' };
    for (const t of ['unix', 'udp'] as const) {
      // A few tries: on a saturated machine the server may still be working off the soak's
      // backlog (its UNIX queue holds 10 datagrams), and one lost probe proves nothing.
      let reply: Uint8Array | null = null;
      for (let attempt = 0; attempt < 5 && reply === null; attempt++) {
        reply = await probe(t, address, clientDir, te.encode(':version:\n'));
      }
      const ok = reply !== null && matches(predict(te.encode(':version:\n'), ctx), reply);
      finalProbe[t] = reply === null ? 'no reply' : ok ? 'ok' : `unexpected ${show(reply)}`;
      if (!ok) failures.push(`final ${t} probe: ${finalProbe[t]}`);
    }

    // ---- evidence that replies to the clients that never read were dropped (socket_timeout)
    const statsReply = await probe('unix', address, clientDir, te.encode(':mi_stats:\n'));
    const statsText = statsReply === null ? '' : Buffer.from(statsReply).toString('utf8');
    const stat = (name: string) =>
      new RegExp(`^${name}:: (\\d+)$`, 'm').exec(statsText)?.[1] ?? '?';
    const miStats =
      statsReply === null
        ? 'no reply to mi_stats'
        : `mi_stats (one worker before 7b7ccc0, the whole server since): Requests ${stat('Requests')}, Dropped replies ${stat('Dropped replies')}`;

    // ---- the socket file removed from under the running server
    let socketRemoval = 'not checked';
    if (o.socketRemoval) socketRemoval = await checkSocketRemoval(srv, address, clientDir, ctx);

    // ---- accounting of unanswered requests
    let lostOnKilledWorker = 0;
    let clientSendDrop = 0;
    let clientStalled = 0;
    const never: Unanswered[] = [];
    for (const u of unanswered) {
      if (u.clientDrop) clientSendDrop++;
      else if (u.clientStall) clientStalled++;
      else if (kills.some((k) => k.atMs >= u.sentAt - 1 && k.atMs <= u.sentAt + o.replyTimeoutMs)) {
        lostOnKilledWorker++;
      } else never.push(u);
    }
    if (mismatched > 0) failures.push(`${mismatched} replies of the wrong class`);
    if (unexpectedReplies > clientStalled) {
      failures.push(`${unexpectedReplies} replies nobody asked for`);
    }
    if (never.length > 0)
      failures.push(
        `${never.length} requests never answered (not attributable to a killed worker)`,
      );

    const workersEnd = childPids(srv.pid);
    for (const p of workersEnd) workerPids.add(p);
    const stopResult = await srv.stop();
    if (stopResult.forced || stopResult.code !== 0) {
      failures.push(`server did not stop cleanly on SIGTERM: ${JSON.stringify(stopResult)}`);
    }
    await sleep(300);
    const leftover = [...workerPids].filter((p) => alive(p) && procState(p) !== 'Z');
    if (leftover.length > 0) failures.push(`processes left behind: ${leftover.join(' ')}`);
    let socketFileAfterStop = false;
    try {
      lstatSync(unixPath);
      socketFileAfterStop = true;
      failures.push('socket file still present after the server stopped');
    } catch {
      // removed, as it must be
    }
    const rssGrowthPer100k = growth(marks);
    return {
      options: withoutLog(o),
      jsonrpc,
      workersAtStart,
      durationMs: Math.round(now()),
      sent,
      sentByTransport,
      byCategory,
      byExpected,
      noReplyExpected,
      matched,
      mismatched,
      mismatchExamples,
      unexpectedReplies,
      unexpectedExamples,
      clientSendDrops,
      unanswered: {
        total: unanswered.length,
        lostOnKilledWorker,
        clientSendDrop,
        clientStalled,
        neverAnswered: never.length,
        examples: [
          ...never.slice(0, 10),
          ...unanswered.filter((u) => u.clientDrop || u.clientStall).slice(0, 3),
        ],
      },
      kills,
      stops,
      restarts: Math.max(0, workerPids.size - workersAtStart.length),
      workerPidsSeen: workerPids.size,
      nonReaderSent,
      marks,
      clientStalls: stalls,
      clientMaxLagMs: Math.round(maxLagMs),
      rssGrowthPer100k,
      finalProbe,
      miStats,
      socketRemoval,
      stop: stopResult,
      socketFileAfterStop,
      leftoverProcesses: leftover,
      logCounts: [...srv.logCounts].sort((a, b) => b[1] - a[1]).slice(0, 20),
      logExamples: firstOfEach(srv.recentLogs),
      failures,
    };
  } finally {
    for (const pid of stopped) {
      try {
        process.kill(pid, 'SIGCONT');
      } catch {
        // gone
      }
    }
    if (server !== null && server.child.exitCode === null && server.child.signalCode === null) {
      await server.stop(5000);
    }
    await rm(dir, { recursive: true, force: true });
  }
}

/** RSS growth per 100 000 datagrams, per process present at both ends of a phase. */
function growth(
  marks: readonly Mark[],
): { pid: number; role: string; phase: string; kib: number }[] {
  const out: { pid: number; role: string; phase: string; kib: number }[] = [];
  const pairs: [string, string, string][] = [
    ['start', 'warm', 'steady, first half (warm-up)'],
    ['warm', 'middle', 'steady, second half'],
    ['start', 'middle', 'steady (no kills)'],
    ['middle', 'end', 'with faults'],
    ['start', 'end', 'whole run'],
  ];
  for (const [a, b, phase] of pairs) {
    const ma = marks.find((m) => m.name === a);
    const mb = marks.find((m) => m.name === b);
    if (ma === undefined || mb === undefined || mb.sent <= ma.sent) continue;
    for (const pa of ma.processes) {
      const pb = mb.processes.find((p) => p.pid === pa.pid);
      if (pb === undefined || pa.rssKiB === null || pb.rssKiB === null) continue;
      out.push({
        pid: pa.pid,
        role: pa.role,
        phase,
        kib: Math.round(((pb.rssKiB - pa.rssKiB) / (mb.sent - ma.sent)) * 100_000),
      });
    }
  }
  return out;
}

/** Removes the socket file and reports what the server does about it (see packages/server README). */
async function checkSocketRemoval(
  srv: SoakServer,
  address: ServerAddress,
  dir: string,
  ctx: OracleContext,
): Promise<string> {
  const before = lstatSync(address.unixPath);
  const logsBefore = srv.logCount();
  unlinkSync(address.unixPath);
  const version = te.encode(':version:\n');
  for (let i = 0; i < 40; i++) {
    await sleep(100);
    let st: ReturnType<typeof lstatSync> | null = null;
    try {
      st = lstatSync(address.unixPath);
    } catch {
      st = null;
    }
    if (st?.isSocket() && st.ino !== before.ino) {
      const reply = await probe('unix', address, dir, version);
      const ok = reply !== null && matches(predict(version, ctx), reply);
      return `re-created after ~${(i + 1) * 100} ms; a request on the new file ${ok ? 'is answered' : 'is NOT answered'}`;
    }
    const logged = srv.logsSince(logsBefore).find((l) => /socket file/i.test(l));
    if (logged !== undefined && i > 20) return `not re-created; reported: ${logged.slice(0, 300)}`;
  }
  const logged = srv.logsSince(logsBefore).find((l) => /socket file/i.test(l));
  return logged === undefined
    ? 'NOT detected: no new socket file and nothing logged within 4 s'
    : `not re-created; reported: ${logged.slice(0, 300)}`;
}

function withoutLog(o: SoakOptions): Omit<SoakOptions, 'log'> {
  const { log: _log, ...rest } = o;
  return rest;
}
