#!/usr/bin/env bash
# Runs every package's tests N times while M busy loops compete for the CPUs,
# and lists every test that failed in any round (with how often). Not part of
# CI: it is slow by design. See docs/testing.md.
#
#   scripts/stress-tests.sh [N=10] [M=2]
#   STRESS_PACKAGES="packages/protocol" scripts/stress-tests.sh 3 1   (some packages only)
#
# Builds once, then per round runs each package's vitest (one package at a
# time, as `pnpm test` does) with the JSON reporter; reports go to a temporary
# directory (kept when something failed). Exit status 1 if any test failed.
set -euo pipefail

rounds=${1:-10}
loops=${2:-2}
case "$rounds$loops" in *[!0-9]*) echo "usage: $0 [N] [M]" >&2; exit 64 ;; esac

repo=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
cd "$repo"
export TURBO_TELEMETRY_DISABLED=1

out=$(mktemp -d)
busy=()
stop_busy() {
  local pid
  for pid in "${busy[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${busy[@]}"; do wait "$pid" 2>/dev/null || true; done
  busy=()
}
trap stop_busy EXIT
trap 'exit 130' INT TERM

echo "building once…" >&2
pnpm build --output-logs=errors-only >"$out/build.log" 2>&1 || {
  cat "$out/build.log" >&2
  exit 1
}

for ((i = 0; i < loops; i++)); do
  sh -c 'while :; do :; done' &
  busy+=("$!")
done
echo "busy loops: ${busy[*]:-none}; reports in $out" >&2

packages=()
# STRESS_PACKAGES="packages/protocol packages/server" narrows the run.
for dir in ${STRESS_PACKAGES:-packages/* tools/*}; do
  [ -f "$dir/vitest.config.ts" ] && [ -x "$dir/node_modules/.bin/vitest" ] && packages+=("$dir")
done

started=$(date +%s)
for ((r = 1; r <= rounds; r++)); do
  t0=$(date +%s)
  for dir in "${packages[@]}"; do
    name=$(basename "$dir")
    status=0
    (cd "$dir" && ./node_modules/.bin/vitest run --reporter=dot --reporter=json \
      --outputFile.json="$out/r$r-$name.json") >"$out/r$r-$name.log" 2>&1 || status=$?
    echo "$status" >"$out/r$r-$name.status"
  done
  echo "round $r/$rounds: $(($(date +%s) - t0)) s" >&2
done
stop_busy

status=0
node - "$out" "$rounds" "${packages[@]}" <<'EOF' || status=$?
const { existsSync, readFileSync } = require('node:fs');
const { basename, join } = require('node:path');
const [out, roundsText, ...dirs] = process.argv.slice(2);
const rounds = Number(roundsText);
const failed = new Map(); // test → { rounds: Set, seeds: Set }
let passed = 0;
let total = 0;
const note = (key, round, seed) => {
  const entry = failed.get(key) ?? { rounds: new Set(), seeds: new Set() };
  entry.rounds.add(round);
  if (seed !== undefined) entry.seeds.add(seed);
  failed.set(key, entry);
};
for (let r = 1; r <= rounds; r++) {
  for (const dir of dirs) {
    const name = basename(dir);
    const report = join(out, `r${r}-${name}.json`);
    const status = readFileSync(join(out, `r${r}-${name}.status`), 'utf8').trim();
    if (!existsSync(report)) {
      note(`${name}: no report (vitest exit ${status}; see r${r}-${name}.log)`, r);
      continue;
    }
    const json = JSON.parse(readFileSync(report, 'utf8'));
    for (const file of json.testResults) {
      const rel = file.name.slice(file.name.indexOf(`/${dir}/`) + dir.length + 2);
      if (file.status === 'failed' && file.assertionResults.every((a) => a.status !== 'failed')) {
        note(`${name}: ${rel}: the file failed (${(file.message ?? '').split('\n')[0]})`, r);
      }
      for (const a of file.assertionResults) {
        total += 1;
        if (a.status === 'passed') passed += 1;
        if (a.status !== 'failed') continue;
        const m = / \(with seed=(-?\d+)\)$/.exec(a.fullName);
        const test = m === null ? a.fullName : a.fullName.slice(0, m.index);
        note(`${name}: ${rel} > ${test}`, r, m?.[1]);
      }
    }
  }
}
console.log(`${rounds} rounds: ${passed} of ${total} test runs passed`);
if (failed.size === 0) {
  console.log('no test failed in any round');
} else {
  console.log(`${failed.size} test(s) failed at least once:`);
  for (const [key, { rounds: rs, seeds }] of [...failed].sort()) {
    const seedText = seeds.size > 0 ? ` (seeds ${[...seeds].join(', ')})` : '';
    console.log(`  ${rs.size}/${rounds}  ${key}  [rounds ${[...rs].join(', ')}]${seedText}`);
  }
}
process.exitCode = failed.size === 0 ? 0 : 1;
EOF
echo "total: $(($(date +%s) - started)) s with $loops busy loop(s)" >&2
if [ "$status" -eq 0 ]; then rm -rf "$out"; else echo "reports kept in $out" >&2; fi
exit "$status"
