#!/usr/bin/env bash
# Install check: the packages as a user gets them. Packs every published package
# (pnpm pack), installs the tarballs into empty scratch projects
#   (a) with pnpm and its default settings,
#   (b) with npm, on a PATH holding only node and npm (no compiler, make or python),
# then in each starts mi-datagram-server on a UNIX socket and a UDP port and calls
# it with the `mi` client over both. In (b) it then removes the addon's binaries
# and checks that UDP still works and that only a UNIX socket fails, with the
# stable code ADDON_NOT_LOADED. Run `pnpm build` first. Usage: bash scripts/check-install.sh
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
packages=(protocol transport-unix transport-udp worker-pool server client)
work=$(mktemp -d "${TMPDIR:-/tmp}/mi-install-check.XXXXXX")
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
failures=0
passed=0
ok() { passed=$((passed + 1)); echo "  ok   $*"; }
bad() { failures=$((failures + 1)); echo "  FAIL $*"; }
check() { # check DESCRIPTION COMMAND...: passes when the command succeeds
  local what=$1
  shift
  if "$@" >"$work/out" 2>&1; then ok "$what"; else bad "$what"; sed 's/^/       /' "$work/out" | tail -20; fi
}

echo "== pack"
mkdir -p "$work/tarballs"
for p in "${packages[@]}"; do
  (cd "packages/$p" && pnpm pack --pack-destination "$work/tarballs" >/dev/null)
done
tarball() { ls "$work/tarballs"/mi-datagram-"$1"-*.tgz; }
for p in "${packages[@]}"; do
  list=$(tar tzf "$(tarball "$p")")
  manifest=$(tar xzOf "$(tarball "$p")" package/package.json)
  check "$p: LICENSE and README.md in the tarball" bash -c 'grep -qx package/LICENSE <<<"$1" && grep -qx package/README.md <<<"$1"' _ "$list"
  check "$p: no workspace: ranges, no install scripts, no placeholder URL" node -e '
    const p = JSON.parse(process.argv[1]);
    const deps = JSON.stringify([p.dependencies, p.optionalDependencies, p.peerDependencies]);
    const s = p.scripts ?? {};
    if (deps.includes("workspace:") || s.install || s.preinstall || s.postinstall || p.gypfile ||
        JSON.stringify(p).includes("example.invalid")) process.exit(1);' "$manifest"
done
unix_list=$(tar tzf "$(tarball transport-unix)")
for tag in linux-x64-glibc linux-x64-musl linux-arm64-glibc; do
  check "transport-unix: prebuilds/$tag in the tarball" grep -qx "package/prebuilds/$tag/unix_dgram.node" <<<"$unix_list"
done
check "transport-unix: no binding.gyp at the package root, no build/" bash -c '! grep -qE "^package/(binding.gyp|build/)" <<<"$1"' _ "$unix_list"
check "protocol: ships protocol.md" bash -c 'tar tzf "$1" | grep -qx package/protocol.md' _ "$(tarball protocol)"

# A scratch project's package.json: client and server from the tarballs, and every
# @mi-datagram package they pull in pinned to its tarball too (none is on a registry).
scratch_manifest() {
  node -e '
    const [dir, ...names] = process.argv.slice(1);
    const file = (n) => "file:" + require("node:fs").readdirSync(dir).map((f) => dir + "/" + f).find((f) => f.includes("mi-datagram-" + n + "-"));
    const overrides = Object.fromEntries(names.map((n) => ["@mi-datagram/" + n, file(n)]));
    console.log(JSON.stringify({
      name: "scratch", private: true, type: "module",
      dependencies: { "@mi-datagram/client": file("client"), "@mi-datagram/server": file("server") },
      overrides,
    }, null, 2));' "$work/tarballs" "${packages[@]}"
}

# Starts the server of the project in $1 on the sockets given, sets server_pid and udp_port.
start_server() {
  local dir=$1
  shift
  local args=()
  for s in "$@"; do args+=(--socket-name "$s"); done
  (cd "$dir" && exec env PATH="$run_path" node_modules/.bin/mi-datagram-server "${args[@]}" >"$dir/server.out" 2>&1) &
  server_pid=$!
  for _ in $(seq 1 300); do
    grep -q 'listening on' "$dir/server.out" 2>/dev/null && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  udp_port=$(grep -o 'udp:127.0.0.1:[0-9]*' "$dir/server.out" | head -1 | sed 's/.*://')
}
stop_server() {
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=
}
# mi CLI call that must print the `which` reply (it lists the command `which` itself).
call() { (cd "$1" && env PATH="$run_path" node_modules/.bin/mi -s "$2" which) | grep -qx 'which'; }


run_calls() { # run_calls LABEL DIR
  local label=$1 dir=$2
  start_server "$dir" "$dir/mi.sock" udp:127.0.0.1:0
  if [ -z "$udp_port" ]; then
    bad "$label: server did not start"
    sed 's/^/       /' "$dir/server.out"
    stop_server
    return
  fi
  ok "$label: mi-datagram-server listening ($(grep -o 'listening on .*' "$dir/server.out"))"
  check "$label: mi over UNIX (the prebuilt addon)" call "$dir" "$dir/mi.sock"
  check "$label: mi over UDP" call "$dir" "udp:127.0.0.1:$udp_port"
  check "$label: import @mi-datagram/client and @mi-datagram/server" bash -c 'cd "$1" && env PATH="$2" node --input-type=module -e "
    const { MiClient } = await import(\"@mi-datagram/client\");
    const { startServer } = await import(\"@mi-datagram/server\");
    if (typeof MiClient !== \"function\" || typeof startServer !== \"function\") process.exit(1);"' _ "$dir" "$run_path"
  stop_server
}

run_path=$PATH
echo "== (a) pnpm $(pnpm -v), default settings"
a="$work/with-pnpm"
mkdir -p "$a"
scratch_manifest >"$a/package.json"
# pnpm reads overrides from pnpm-workspace.yaml only; nothing else is set there.
node -e 'const { overrides } = JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8"));
  console.log("overrides:\n" + Object.entries(overrides).map(([k, v]) => `  "${k}": "${v}"`).join("\n"));' \
  "$a/package.json" >"$a/pnpm-workspace.yaml"
# --no-frozen-lockfile: the scratch project has no lockfile, and CI=true would demand one.
if (cd "$a" && pnpm install --no-frozen-lockfile --reporter=append-only) >"$work/pnpm.log" 2>&1; then
  if grep -qiE 'ignored build|IGNORED_BUILDS' "$work/pnpm.log"; then
    bad "pnpm install: build scripts were ignored"
    sed 's/^/       /' "$work/pnpm.log" | tail -20
  else
    ok "pnpm install (no build step asked for)"
  fi
  run_calls pnpm "$a"
else
  bad "pnpm install"
  sed 's/^/       /' "$work/pnpm.log" | tail -30
fi

echo "== (b) npm, PATH without a compiler"
bin="$work/bin"
mkdir -p "$bin"
ln -s "$(command -v node)" "$bin/node"
npm_cli=$(dirname "$(readlink -f "$(command -v npm)")")/npm-cli.js
printf '#!/bin/sh\nexec node %q "$@"\n' "$npm_cli" >"$bin/npm"
chmod +x "$bin/npm"
b="$work/with-npm"
mkdir -p "$b"
scratch_manifest >"$b/package.json"
(
  export PATH=$bin
  for tool in cc gcc make python3 g++ node-gyp; do
    if command -v "$tool" >/dev/null; then
      echo "  FAIL $tool is on the restricted PATH"
      exit 1
    fi
  done
  echo "  ok   no cc/gcc/g++/make/python3/node-gyp on PATH=$bin"
) || failures=$((failures + 1))
if (cd "$b" && PATH=$bin npm install --no-audit --no-fund --loglevel=error) >"$work/npm.log" 2>&1; then
  ok "npm $(PATH=$bin npm -v) install"
  run_path=$bin
  run_calls npm "$b"

  # The addon cannot load (as on a platform without a prebuilt binary): UDP works,
  # a UNIX socket fails with ADDON_NOT_LOADED.
  rm -rf "$b/node_modules/@mi-datagram/transport-unix/prebuilds"
  start_server "$b" udp:127.0.0.1:0
  if [ -n "$udp_port" ]; then
    check "npm, no addon: server over UDP" call "$b" "udp:127.0.0.1:$udp_port"
  else
    bad "npm, no addon: UDP-only server did not start"
    sed 's/^/       /' "$b/server.out"
  fi
  stop_server
  cat >"$b/no-addon.mjs" <<'EOF'
// With the addon gone: a UNIX call and a UNIX listener fail with the stable codes.
import { MiClient } from '@mi-datagram/client';
import { startServer } from '@mi-datagram/server';
const dir = process.argv[2];
const client = new MiClient(`${dir}/none.sock`, { timeout: 5000 });
const call = await client.call('which').then(() => 'answered', (e) => e);
await client.close();
const server = await startServer({ socket_name: [`${dir}/s.sock`] }).then(
  async (s) => { await s.close(); return 'started'; },
  (e) => e,
);
console.log(`client: ${call.code} / ${call.cause?.code}: ${call.message}`);
console.log(`server: ${server.code}: ${server.message}`);
const ok = call.code === 'TRANSPORT' && call.cause?.code === 'ADDON_NOT_LOADED' && server.code === 'ADDON_NOT_LOADED';
process.exit(ok ? 0 : 1);
EOF
  check "npm, no addon: MiClient over UNIX rejects with TRANSPORT (cause ADDON_NOT_LOADED), startServer on UNIX with ADDON_NOT_LOADED" \
    bash -c 'cd "$1" && env PATH="$2" node no-addon.mjs "$1"' _ "$b" "$run_path"
  check "npm, no addon: mi and mi-datagram-server on UNIX exit non-zero, saying the addon could not load" \
    bash -c 'cd "$1" && for cmd in "node_modules/.bin/mi -s $1/none.sock which" "node_modules/.bin/mi-datagram-server --socket-name $1/s.sock"; do
      status=0; out=$(timeout 60 env PATH="$2" $cmd 2>&1) || status=$?; echo "$out"
      [ $status -ne 0 ] && grep -q "addon could not be loaded" <<<"$out" || exit 1; done' _ "$b" "$run_path"
else
  bad "npm install"
  sed 's/^/       /' "$work/npm.log" | tail -30
fi

echo "install check: $passed checks ok, $failures failed"
[ "$failures" -eq 0 ]
