/** Human-readable soak report (Markdown, so it can go into docs/reliability.md as is). */
import type { OverloadReport } from './overload.js';
import type { SoakOptions, SoakReport } from './soak.js';

function table(header: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const lines = [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`];
  for (const r of rows) lines.push(`| ${r.join(' | ')} |`);
  return `${lines.join('\n')}\n`;
}

const mib = (kib: number | null) => (kib === null ? 'gone' : (kib / 1024).toFixed(1));

export function formatReport(
  r: SoakReport,
  meta: { readonly command: string; readonly started: Date; readonly defaults?: SoakOptions },
): string {
  const o = r.options;
  const out: string[] = [];
  out.push(`## Soak ${r.failures.length === 0 ? 'PASSED' : 'FAILED'}\n`);
  out.push(
    `\`${meta.command}\` at ${meta.started.toISOString()}: ${r.sent} datagrams in ${(r.durationMs / 1000).toFixed(1)} s ` +
      `(${Math.round(r.sent / (r.durationMs / 1000))}/s; UNIX ${r.sentByTransport.unix}, UDP ${r.sentByTransport.udp}), ` +
      `children_count ${o.children} (workers at start: ${r.workersAtStart.join(' ') || 'none, in-process'}), ` +
      `${o.slotsPerTransport} slots per transport, seed ${o.seed}, JSON-RPC ${r.jsonrpc ? 'served' : 'not served (JSON is legacy text)'}.\n`,
  );
  out.push('### Replies\n');
  out.push(
    table(
      ['', 'count'],
      [
        ['replies checked against the oracle, matching', r.matched],
        ['replies of the wrong class (mismatches)', r.mismatched],
        ['no reply expected (empty, notifications, soak_hang)', r.noReplyExpected],
        ['replies nobody asked for', r.unexpectedReplies],
        ['requests unanswered within the timeout', r.unanswered.total],
        ['… in flight on a SIGKILLed worker (timing window)', r.unanswered.lostOnKilledWorker],
        ["… never left the client (client's own send timeout)", r.unanswered.clientSendDrop],
        [
          `… the soak process itself stalled > 1 s meanwhile (${r.clientStalls.length} stalls, max event-loop lag ${r.clientMaxLagMs} ms)`,
          r.unanswered.clientStalled,
        ],
        ['… never answered, unexplained (failure)', r.unanswered.neverAnswered],
        ['client sends refused outright', r.clientSendDrops],
        ['sends by clients that never read', r.nonReaderSent],
      ],
    ),
  );
  out.push('\n### Datagrams by category\n');
  out.push(
    table(
      ['category', 'sent', 'reply expected', 'mismatched'],
      Object.entries(r.byCategory)
        .sort((a, b) => b[1].sent - a[1].sent)
        .map(([k, v]) => [k, v.sent, v.checked, v.mismatched]),
    ),
  );
  out.push('\n### Datagrams by predicted reply class\n');
  out.push(
    table(
      ['predicted reply', 'datagrams'],
      Object.entries(r.byExpected)
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => [`\`${k}\``, v]),
    ),
  );
  out.push('\n### Faults\n');
  out.push(
    `- SIGKILL of a worker: ${r.kills.length}${o.children > 1 ? '' : ' (children_count 1: the server runs in-process, nothing to kill)'}; worker processes seen: ${r.workerPidsSeen}, restarts: ${r.restarts}\n` +
      `- SIGSTOP for ${o.stopMs} ms then SIGCONT: ${r.stops.length} (${o.children > 1 ? 'a worker' : 'the server process itself'})\n` +
      `- final probe after the soak: UNIX ${r.finalProbe.unix}, UDP ${r.finalProbe.udp}\n` +
      `- clients that never read: ${r.nonReaderSent} requests; ${r.miStats}\n` +
      `- socket file removed under the running server: ${r.socketRemoval}\n` +
      `- SIGTERM: exit code ${r.stop.code}${r.stop.signal ? ` signal ${r.stop.signal}` : ''} after ${r.stop.ms} ms${r.stop.forced ? ' (had to SIGKILL)' : ''}; socket file after stop: ${r.socketFileAfterStop ? 'LEFT' : 'removed'}; processes left: ${r.leftoverProcesses.length === 0 ? 'none' : r.leftoverProcesses.join(' ')}\n`,
  );
  out.push('\n### Memory and descriptors\n');
  const rows: (string | number)[][] = [];
  for (const m of r.marks) {
    for (const p of m.processes) {
      rows.push([
        m.name,
        m.sent,
        `${p.role} ${p.pid}`,
        mib(p.rssKiB),
        p.fds ?? 'gone',
        m.socketFiles.join(' '),
      ]);
    }
  }
  out.push(table(['mark', 'sent', 'process', 'RSS MiB', 'fds', 'files in socket dir'], rows));
  out.push('\nRSS growth per 100 000 datagrams (processes alive at both marks):\n\n');
  out.push(
    table(
      ['phase', 'process', 'KiB / 100k'],
      r.rssGrowthPer100k.map((g) => [g.phase, `${g.role} ${g.pid}`, g.kib]),
    ),
  );
  if (r.mismatchExamples.length > 0) {
    out.push('\n### Mismatch examples\n\n');
    for (const e of r.mismatchExamples) {
      out.push(
        `- ${e.transport} ${e.category}: sent ${e.datagram}\n  expected ${e.expected}\n  got ${e.actual}${e.previous ? `\n  (previous on this socket: ${e.previous})` : ''}\n`,
      );
    }
  }
  if (r.unexpectedExamples.length > 0) {
    out.push('\n### Unexpected replies\n\n');
    for (const e of r.unexpectedExamples) out.push(`- ${e}\n`);
  }
  if (r.unanswered.examples.length > 0) {
    out.push('\n### Unanswered examples\n\n');
    for (const u of r.unanswered.examples) {
      out.push(
        `- ${u.transport} ${u.category} at ${Math.round(u.sentAt)} ms${u.clientDrop ? ' (client send dropped)' : u.clientStall ? ' (soak process stalled)' : ''}: ${u.datagram}\n`,
      );
    }
  }
  out.push('\n### Server log (counts)\n\n');
  out.push(
    table(
      ['level: message', 'count'],
      r.logCounts.map(([k, v]) => [k.replace(/\|/g, '/'), v]),
    ),
  );
  out.push('\nLast line of each logged message:\n\n');
  for (const l of r.logExamples) out.push(`    ${l}\n`);
  out.push(
    r.failures.length === 0
      ? '\nEverything held.\n'
      : `\n**Failures:**\n\n${r.failures.map((f) => `- ${f}`).join('\n')}\n`,
  );
  return out.join('');
}

/** The overload phase as Markdown (a table, one row per run). */
export function formatOverloadReports(reports: readonly OverloadReport[]): string {
  const lines = [
    `## Overload phase ${reports.every((r) => r.failures.length === 0) ? 'PASSED' : 'FAILED'}\n`,
    '| transport | children | flood sent | 503 busy | 504 timed out | unanswered | RSS before → peak (MiB) | growth (MiB) | `:version:` probes | p50 / p99 / max (ms) | after: echo ok |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of reports) {
    lines.push(
      `| ${r.transport} | ${r.children} | ${r.flood.sent} | ${r.flood.busy} | ${r.flood.timedOut} | ${r.flood.unanswered} | ${r.baselineMiB} → ${r.peakMiB} | ${r.growthMiB} | ${r.probes} (${r.probeTimeouts} unanswered) | ${r.p50Ms} / ${r.p99Ms} / ${r.maxMs} | ${r.afterwards.ok}/${r.afterwards.of} |`,
    );
  }
  lines.push('');
  for (const r of reports) {
    const c = Object.entries(r.serverCounters)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    lines.push(
      `- ${r.transport}, children ${r.children}: ${r.senders} senders × ${r.requestBytes} bytes for ${r.floodMs} ms; server counters: ${c}; kernel UDP drops ${r.kernelUdpDrops}${r.failures.length === 0 ? '' : `; FAILED: ${r.failures.join('; ')}`}`,
    );
  }
  return `${lines.join('\n')}\n`;
}
