#!/usr/bin/env bash
# Runs the whole suite (.ci/run) in a fresh clone that sits in a directory only
# its owner can enter, the way a root user's clone under /root does. Tests that
# act as another user (nobody) must not need to reach the checkout.
#
#   scripts/check-private-clone.sh              as the current user
#   scripts/check-private-clone.sh --as USER    as USER (run as root; USER is
#                                               created with useradd if missing)
#   --keep                                      keep the clone afterwards
#
# The clone is of the committed HEAD (uncommitted changes are not tested); the
# sibling ../shared directory is made available beside it as a symlink, and
# must be readable by the user running the suite. Exit status: .ci/run's.
set -euo pipefail

as_user=""
keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    --as) as_user="${2:?--as needs a user name}"; shift 2 ;;
    --keep) keep=1; shift ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 64 ;;
  esac
done

repo=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
commit=$(git -C "$repo" rev-parse HEAD)
shared=$(cd "$repo/../shared" 2>/dev/null && pwd) || {
  echo "no ../shared beside $repo" >&2
  exit 66
}
if [ -n "$(git -C "$repo" status --porcelain)" ]; then
  echo "note: uncommitted changes in $repo are not part of the test (commit $commit is)" >&2
fi

run_as=()
if [ -n "$as_user" ] && [ "$as_user" != "$(id -un)" ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "--as $as_user needs root" >&2
    exit 77
  fi
  if ! id "$as_user" >/dev/null 2>&1; then
    useradd --create-home --shell /bin/bash "$as_user"
    echo "created user $as_user" >&2
  fi
  home=$(getent passwd "$as_user" | cut -d: -f6)
  # The user installs into its own pnpm store; the addon's build finds the
  # node headers where the caller's configuration says (no download).
  nodedir=$(pnpm config get nodedir 2>/dev/null || true)
  envs=(HOME="$home" USER="$as_user" LOGNAME="$as_user" PATH="$PATH" LANG=C.UTF-8
    TURBO_TELEMETRY_DISABLED=1)
  case "$nodedir" in /*) envs+=(npm_config_nodedir="$nodedir") ;; esac
  run_as=(runuser -u "$as_user" -- env -i "${envs[@]}")
  if ! "${run_as[@]}" test -r "$shared/spec/PROTOCOL.md" -a -x "$shared/conformance"; then
    echo "$as_user cannot read $shared: make it readable (e.g. chmod -R o+rX) first" >&2
    exit 77
  fi
fi

work=$(mktemp -d)   # mode 0700: nobody else may enter
chmod 0700 "$work"
cleanup() {
  if [ "$keep" = 1 ]; then echo "kept: $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

clone="$work/mi-datagram"
git clone --quiet --no-hardlinks "$repo" "$clone"
git -C "$clone" checkout --quiet --detach "$commit"
ln -s "$shared" "$work/shared"
if [ ${#run_as[@]} -gt 0 ]; then chown -R "$as_user": "$work"; fi

echo "suite of $commit in $clone ($(stat -c '%A %U' "$work")) as $(id -un "${as_user:-$(id -u)}")" >&2
status=0
if [ ${#run_as[@]} -gt 0 ]; then
  "${run_as[@]}" bash -c 'cd "$1" && exec bash .ci/run' _ "$clone" || status=$?
else
  (cd "$clone" && bash .ci/run) || status=$?
fi
echo "check-private-clone: exit $status (user $(id -un "${as_user:-$(id -u)}"), dir mode $(stat -c '%a' "$work"))" >&2
exit "$status"
