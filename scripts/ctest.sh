#!/usr/bin/env bash
# The native layer's C tests (native/tests), built twice by CMake: plainly in
# build/ and with AddressSanitizer + UndefinedBehaviorSanitizer in
# build-asan/ (leak checking on); a build that registers no tests is an
# error (--no-tests=error), not a pass. One summary line per build on success; on a failure it prints
# that build's log and exits non-zero. scripts/test.sh calls it.
set -euo pipefail
cd "$(dirname "$0")/.."

run() { # run DIR SANITIZE
  local dir=$1 sanitize=$2 log
  log=$(mktemp)
  if ! {
    cmake -S . -B "$dir" -DDESCENT_SANITIZE="$sanitize" &&
      cmake --build "$dir" --parallel 2 &&
      ctest --test-dir "$dir" --output-on-failure --no-tests=error
  } >"$log" 2>&1; then
    echo "ctest: failed in $dir (DESCENT_SANITIZE=$sanitize):" >&2
    cat "$log" >&2
    rm -f "$log"
    return 1
  fi
  echo "ctest ($dir, DESCENT_SANITIZE=$sanitize): $(grep -m1 'tests passed' "$log")"
  rm -f "$log"
}

run build OFF
run build-asan ON
