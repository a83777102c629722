/**
 * `pnpm soak [--datagrams N] [--children N] [--slots N] [--seed N] [--faults-from F]
 *            [--kill-every MS] [--stop-every MS] [--stop-ms MS] [--no-non-readers]
 *            [--no-socket-removal] [--json FILE]
 *            [--overload-ms MS] [--no-overload] [--overload-only]`
 * The overload phase (src/overload.ts) runs after the soak: UNIX and UDP,
 * in-process and with 2 workers.
 * Exit status 0 when everything held, 1 otherwise, 2 for usage errors.
 */
import { writeFileSync } from 'node:fs';
import { DEFAULT_OVERLOAD_OPTIONS, type OverloadReport, runOverload } from './overload.js';
import { formatOverloadReports, formatReport } from './report.js';
import { DEFAULT_SOAK_OPTIONS, runSoak, type SoakOptions } from './soak.js';

function usage(message: string): never {
  process.stderr.write(`soak: ${message}\n`);
  process.exit(2);
}

const numeric: Record<string, keyof SoakOptions> = {
  '--datagrams': 'datagrams',
  '--children': 'children',
  '--slots': 'slotsPerTransport',
  '--seed': 'seed',
  '--faults-from': 'faultsFrom',
  '--kill-every': 'killEveryMs',
  '--stop-every': 'stopEveryMs',
  '--stop-ms': 'stopMs',
  '--reply-timeout': 'replyTimeoutMs',
  '--socket-timeout': 'socketTimeoutMs',
  '--max-duration': 'maxDurationMs',
};

const options: Record<string, unknown> = {};
let jsonOut: string | null = null;
let overloadMs = DEFAULT_OVERLOAD_OPTIONS.floodMs;
let soakPhase = true;
let overloadPhase = true;
const argv = process.argv.slice(2).filter((a) => a !== '--');
for (let i = 0; i < argv.length; i++) {
  const arg = argv[i] as string;
  const key = numeric[arg];
  if (key !== undefined) {
    const value = Number(argv[++i]);
    if (!Number.isFinite(value) || value < 0) usage(`${arg} needs a non-negative number`);
    options[key] = value;
  } else if (arg === '--no-non-readers') options.nonReaders = false;
  else if (arg === '--no-socket-removal') options.socketRemoval = false;
  else if (arg === '--no-overload') overloadPhase = false;
  else if (arg === '--overload-only') soakPhase = false;
  else if (arg === '--overload-ms') {
    overloadMs = Number(argv[++i]);
    if (!Number.isFinite(overloadMs) || overloadMs <= 0)
      usage('--overload-ms needs a positive number');
  } else if (arg === '--json') jsonOut = argv[++i] ?? usage('--json needs a file');
  else usage(`unknown option ${arg}`);
}

const started = new Date();
const log = (line: string) => process.stderr.write(`soak: ${line}\n`);
const command = `pnpm soak ${process.argv.slice(2).join(' ')}`.trim();
let failed = false;
const json: Record<string, unknown> = {};
if (soakPhase) {
  const report = await runSoak({ ...(options as Partial<SoakOptions>), log });
  process.stdout.write(formatReport(report, { command, started, defaults: DEFAULT_SOAK_OPTIONS }));
  json.soak = report;
  if (report.failures.length > 0) failed = true;
}
if (overloadPhase) {
  const reports: OverloadReport[] = [];
  for (const children of [1, 2]) {
    for (const transport of ['unix', 'udp'] as const) {
      reports.push(await runOverload({ transport, children, floodMs: overloadMs, log }));
    }
  }
  process.stdout.write(`\n${formatOverloadReports(reports)}`);
  json.overload = reports;
  if (reports.some((r) => r.failures.length > 0)) failed = true;
}
if (jsonOut !== null) writeFileSync(jsonOut, `${JSON.stringify(json, null, 2)}\n`);
process.exit(failed ? 1 : 0);
