#!/usr/bin/env bash
# Builds the addon with AddressSanitizer + UndefinedBehaviorSanitizer into a
# separate copy of the package (build/asan-pkg, ignored by git: the normal
# build/Release is left alone) and runs the package's tests against it.
#
#   bash scripts/asan-test.sh [vitest args...]
#
# Node itself is not built with ASan, so libasan is preloaded (it must come
# first in the process) and leak detection is off (V8 and Node "leak" by
# design at exit). Any ASan/UBSan report makes the run fail: halt_on_error
# for ASan, and -fno-sanitize-recover for UBSan.
set -euo pipefail
pkg="$(cd "$(dirname "$0")/.." && pwd)"
copy="$pkg/build/asan-pkg"
nodedir="$(dirname "$(dirname "$(command -v node)")")"
cc="${CC:-gcc}"
libasan="$("$cc" -print-file-name=libasan.so)"
libubsan="$("$cc" -print-file-name=libubsan.so)"
if [ ! -e "$libasan" ]; then
  echo "asan-test: libasan.so not found for $cc" >&2
  exit 1
fi

rm -rf "$copy"
mkdir -p "$copy"
cp -R "$pkg/src" "$pkg/test" "$pkg/native" "$pkg/scripts" "$pkg/prebuilds" "$pkg/README.md" \
  "$pkg/package.json" "$pkg/vitest.config.ts" "$copy/"
# node-gyp reads binding.gyp (which names its sources relative to itself) in the directory it runs in
cp "$pkg/native/binding.gyp" "$pkg/native/"*.c "$copy/"
# the package's tsconfig extends a path relative to itself
echo '{ "extends": "../../tsconfig.json" }' >"$copy/tsconfig.json"

nodegyp="${npm_config_node_gyp:-}"
if [ -z "$nodegyp" ] || [ ! -e "$nodegyp" ]; then
  nodegyp="$nodedir/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js"
fi
sanitize="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g -O1"
(
  cd "$copy"
  CC="$cc" CFLAGS="$sanitize" LDFLAGS="-fsanitize=address,undefined" \
    node "$nodegyp" rebuild --nodedir="$nodedir" >build.log 2>&1 || {
    cat build.log >&2
    exit 1
  }
)
# the sanitizers really are in the addon
if [ "$(nm -D "$copy/build/Release/unix_dgram.node" | grep -c __asan_)" = 0 ]; then
  echo "asan-test: the addon was built without ASan" >&2
  exit 1
fi
echo "asan-test: built $copy/build/Release/unix_dgram.node with $sanitize"

cd "$copy"
export LD_PRELOAD="$libasan $libubsan"
export ASAN_OPTIONS="detect_leaks=0:halt_on_error=1:abort_on_error=0:exitcode=86:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:exitcode=87:${UBSAN_OPTIONS:-}"
"$pkg/node_modules/.bin/vitest" run "$@" 2>&1 | tee "$copy/test.log"
status=${PIPESTATUS[0]}
if grep -Eq 'ERROR: AddressSanitizer|runtime error:' "$copy/test.log"; then
  echo "asan-test: sanitizer reports found (see $copy/test.log)" >&2
  exit 1
fi
exit "$status"
