#!/usr/bin/env bash
# Runs every fuzz target of the module for a bounded time each
# (FUZZTIME, default 10s). Go fuzzes one target of one package at a time, so
# the targets are found with grep. Inputs that fail are written under the
# package's testdata/fuzz/<Target>/ by go test; commit them with the fix.
#
# Go's fuzz coordinator can fail a target with a bare "context deadline
# exceeded" when -fuzztime runs out while a worker is still busy on a loaded
# machine (golang/go#75804): no input failed and none is written. Such a run
# is repeated once; a second one, or any failure that wrote an input, fails.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime="${FUZZTIME:-10s}"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT

# deadline_only reports whether the log of a failed run shows only the
# coordinator's deadline race: no failing input, no panic, no test error.
deadline_only() {
  grep -q 'context deadline exceeded' "$log" &&
    ! grep -qE 'Failing input written|panic:|_test\.go:[0-9]+:' "$log"
}

fuzz() {
  go test -run '^$' -fuzz "^$1\$" -fuzztime "$fuzztime" "$2" 2>&1 | tee "$log"
  return "${PIPESTATUS[0]}"
}

status=0
while IFS=: read -r file _ line; do
  target="$(sed -E 's/^func (Fuzz[A-Za-z0-9_]*).*/\1/' <<<"$line")"
  pkg="./$(dirname "$file")"
  echo "--- $pkg $target ($fuzztime)"
  if fuzz "$target" "$pkg"; then
    continue
  fi
  if deadline_only; then
    echo "--- $pkg $target: the fuzz coordinator's deadline race, no input failed; once more"
    fuzz "$target" "$pkg" && continue
  fi
  status=1
done < <(git ls-files '*_test.go' | xargs grep -Hn '^func Fuzz' | sort)
exit $status
