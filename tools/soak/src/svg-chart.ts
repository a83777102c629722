/** A grouped bar chart as a standalone SVG (no chart library): the bench:server figures. */

export interface BenchRow {
  /**
   * `legacy` / `jsonrpc` (our server), `echo` (echo_server.c, the baseline), and the
   * optional real OpenSIPS: `opensips24` (2.x, legacy), `opensips` (3.x, JSON-RPC).
   */
  readonly protocol: 'legacy' | 'jsonrpc' | 'echo' | 'opensips24' | 'opensips';
  /** The OpenSIPS version of an `opensips*` row (absent in rows saved before it was recorded). */
  readonly version?: string;
  readonly transport: 'unix' | 'udp';
  /** `version`, `which`, `ps`, or `echo_server.c`. */
  readonly what: string;
  /** children_count; the echo server has none (0). */
  readonly children: number;
  readonly K: number;
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  /** req/s over the echo server's req/s with the same K in the same run. */
  readonly vsEcho: number;
  /** Sum of VmRSS of every server process at the end of the run, KiB (null: unknown). */
  readonly rssKiB: number | null;
  readonly errors: number;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function niceStep(max: number): number {
  const raw = max / 5;
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

/** The series, in bar order, with their colours. */
const COLORS: Record<string, string> = {
  'children 1': '#4e79a7',
  'children 2': '#f28e2b',
  'OpenSIPS 1': '#59a14f',
  'OpenSIPS 2': '#8cd17d',
  'echo_server.c': '#9c9c9c',
};
const ORDER = Object.keys(COLORS);

const isOpenSips = (r: BenchRow) => r.protocol === 'opensips' || r.protocol === 'opensips24';

function seriesOf(r: BenchRow): string {
  if (r.protocol === 'echo') return 'echo_server.c';
  return `${isOpenSips(r) ? 'OpenSIPS' : 'children'} ${r.children}`;
}

/** Legend text of a series; the OpenSIPS ones name the versions found in `rows`. */
function legendOf(series: string, rows: readonly BenchRow[]): string {
  if (series === 'echo_server.c') return 'C echo server (baseline)';
  const children = series.slice(-1);
  if (series.startsWith('children')) return `mi-datagram, children_count ${children}`;
  const versions = new Set(
    rows
      .filter(isOpenSips)
      .map((r) =>
        r.protocol === 'opensips24'
          ? `${r.version ?? '2.4'} legacy`
          : `${r.version ?? '3.6'} JSON-RPC`,
      ),
  );
  return `OpenSIPS ${[...versions].join(' / ')}, children_count ${children}`;
}

const GROUPS = [
  ['legacy', 'version'],
  ['legacy', 'which'],
  ['jsonrpc', 'version'],
  ['jsonrpc', 'which'],
  ['jsonrpc', 'ps'],
  ['echo', 'echo_server.c'],
] as const;

/** The K=16 throughput cells as grouped bars (the K=1 latency cells are in the table only). */
export function benchSvg(rows: readonly BenchRow[], title: string, subtitle: string): string {
  const groups: { label: string; sub: string; bars: BenchRow[] }[] = [];
  for (const transport of ['unix', 'udp'] as const) {
    for (const [protocol, what] of GROUPS) {
      const bars = rows
        .filter(
          (r) =>
            r.K === 16 &&
            r.transport === transport &&
            r.what === what &&
            (r.protocol === protocol ||
              (protocol === 'legacy' && r.protocol === 'opensips24') ||
              (protocol === 'jsonrpc' && r.protocol === 'opensips')),
        )
        .sort((a, b) => ORDER.indexOf(seriesOf(a)) - ORDER.indexOf(seriesOf(b)));
      if (bars.length > 0) {
        const label = `${transport.toUpperCase()}${protocol === 'echo' ? '' : ` ${protocol === 'legacy' ? 'legacy' : 'JSON-RPC'}`}`;
        groups.push({ label, sub: what, bars });
      }
    }
  }
  const barW = 46;
  const gap = 6;
  const groupGap = 40;
  const left = 70;
  const top = 70;
  const plotH = 300;
  const bottom = 125;
  const plotW = groups.reduce(
    (w, g) => w + g.bars.length * (barW + gap) - gap + groupGap,
    groupGap,
  );
  const width = left + plotW + 40;
  const height = top + plotH + bottom;
  const max = Math.max(1, ...rows.map((r) => r.rps));
  const step = niceStep(max);
  const yMax = Math.ceil(max / step) * step;
  const y = (v: number) => top + plotH - (v / yMax) * plotH;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" font-family="DejaVu Sans, Arial, sans-serif" font-size="11">`,
    `<title>${esc(`${title} (${subtitle})`)}</title>`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="${left}" y="24" font-size="15" font-weight="bold">${esc(title)}</text>`,
    `<text x="${left}" y="42" fill="#555">${esc(subtitle)}</text>`,
  );
  for (let v = 0; v <= yMax; v += step) {
    out.push(
      `<line x1="${left}" x2="${left + plotW}" y1="${y(v)}" y2="${y(v)}" stroke="#e3e3e3"/>`,
      `<text x="${left - 6}" y="${y(v) + 4}" text-anchor="end" fill="#555">${Math.round(v / 1000)}k</text>`,
    );
  }
  out.push(
    `<text transform="translate(16 ${top + plotH / 2}) rotate(-90)" text-anchor="middle" fill="#333">requests/s (K=16 closed loop)</text>`,
    `<line x1="${left}" x2="${left}" y1="${top}" y2="${top + plotH}" stroke="#888"/>`,
  );
  let x = left + groupGap;
  for (const g of groups) {
    const gx = x;
    for (const r of g.bars) {
      const h = top + plotH - y(r.rps);
      out.push(
        `<rect x="${x}" y="${y(r.rps)}" width="${barW}" height="${h}" fill="${COLORS[seriesOf(r)] ?? '#333'}"><title>${esc(`${g.label} ${g.sub} ${seriesOf(r)}: ${r.rps} req/s, p50 ${r.p50} µs, p99 ${r.p99} µs`)}</title></rect>`,
        `<text x="${x + barW / 2}" y="${y(r.rps) - 4}" text-anchor="middle">${(r.rps / 1000).toFixed(1)}k</text>`,
        `<text x="${x + barW / 2}" y="${top + plotH + 14}" text-anchor="middle" fill="#333">p99 ${Math.round(r.p99)}</text>`,
        `<text x="${x + barW / 2}" y="${top + plotH + 27}" text-anchor="middle" fill="#333">${r.rssKiB === null ? '' : `${(r.rssKiB / 1024).toFixed(0)} MiB`}</text>`,
      );
      x += barW + gap;
    }
    const gw = x - gap - gx;
    out.push(
      `<text x="${gx + gw / 2}" y="${top + plotH + 46}" text-anchor="middle" font-weight="bold">${esc(g.label)}</text>`,
      `<text x="${gx + gw / 2}" y="${top + plotH + 60}" text-anchor="middle" font-weight="bold">${esc(g.sub)}</text>`,
    );
    x += groupGap - gap;
  }
  const ly = top + plotH + 90;
  let lx = left;
  const present = new Set(rows.map(seriesOf));
  for (const [name, color] of Object.entries(COLORS)) {
    if (!present.has(name)) continue;
    const text = legendOf(name, rows);
    out.push(
      `<rect x="${lx}" y="${ly - 10}" width="12" height="12" fill="${color}"/>`,
      `<text x="${lx + 17}" y="${ly}">${esc(text)}</text>`,
    );
    lx += 40 + Math.ceil(text.length * 6.5);
  }
  out.push(
    `<text x="${left}" y="${ly + 22}" fill="#555">under each bar: p99 latency (µs) and RSS of all server processes after the cell</text>`,
    '</svg>',
  );
  return `${out.join('\n')}\n`;
}
