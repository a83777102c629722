/**
 * `pnpm soak [--datagrams N] [--children N] [--slots N] [--seed N] [--faults-from F]
 *            [--kill-every MS] [--stop-every MS] [--stop-ms MS] [--no-non-readers]
 *            [--no-socket-removal] [--json FILE]`
 * Exit status 0 when everything held, 1 otherwise, 2 for usage errors.
 */
import { writeFileSync } from 'node:fs';
import { formatReport } from './report.js';
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
  else if (arg === '--json') jsonOut = argv[++i] ?? usage('--json needs a file');
  else usage(`unknown option ${arg}`);
}

const started = new Date();
const report = await runSoak({
  ...(options as Partial<SoakOptions>),
  log: (line) => process.stderr.write(`soak: ${line}\n`),
});
process.stdout.write(
  formatReport(report, {
    command: `pnpm soak ${process.argv.slice(2).join(' ')}`.trim(),
    started,
    defaults: DEFAULT_SOAK_OPTIONS,
  }),
);
if (jsonOut !== null) writeFileSync(jsonOut, `${JSON.stringify(report, null, 2)}\n`);
process.exit(report.failures.length === 0 ? 0 : 1);
