#!/usr/bin/env bash
# Runs every fuzz target of the module for a bounded time each
# (FUZZTIME, default 10s). Go fuzzes one target of one package at a time, so
# the targets are found with grep. Inputs that fail are written under the
# package's testdata/fuzz/<Target>/ by go test; commit them with the fix.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime="${FUZZTIME:-10s}"
status=0
while IFS=: read -r file _ line; do
  target="$(sed -E 's/^func (Fuzz[A-Za-z0-9_]*).*/\1/' <<<"$line")"
  pkg="./$(dirname "$file")"
  echo "--- $pkg $target ($fuzztime)"
  if ! go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$pkg"; then
    status=1
  fi
done < <(git ls-files '*_test.go' | xargs grep -Hn '^func Fuzz' | sort)
exit $status
