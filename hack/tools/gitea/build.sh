#!/usr/bin/env bash
# Builds the Gitea server that tests use as a real git forge (internal/forgetest)
# into bin/gitea/<version>/gitea, from Gitea's Go module and nothing else.
#
# Gitea's module declares its path as gitea.dev and carries replace directives,
# so `go install code.gitea.io/gitea@v...` refuses it. Instead we build it as the
# main module from its directory in the module cache. Its dependency
# gitea.dev/sdk is served by the proxy but is not in the checksum database,
# hence GONOSUMDB. Gitea reads templates and locale files from disk (no bindata
# tag), so the module directory is recorded next to the binary as its static
# root (bin/gitea/<version>/static-root).
#
# Since 1.27 Gitea's SQLite driver is modernc.org/sqlite (pure Go; the cgo
# driver needs the sqlite_mattn tag), so no C compiler is needed: CGO is off,
# as in Gitea's own Makefile. main.Version must be set, else the server reports
# "development", which Gitea's client SDK refuses.
#
# Usage: hack/tools/gitea/build.sh [bin-dir]   (default: <repo>/bin)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
version="$(tr -d ' \n' <"$here/VERSION")"
bin="${1:-$root/bin}"
out="$bin/gitea/$version"

export GONOSUMDB="${GONOSUMDB:+$GONOSUMDB,}gitea.dev"
export GOFLAGS="-mod=readonly"
dir="$(go mod download -json "code.gitea.io/gitea@v$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')"
if [ -z "$dir" ] || [ ! -f "$dir/go.mod" ]; then
  echo "gitea: go mod download did not report the module directory" >&2
  exit 1
fi

mkdir -p "$out"
echo "gitea: building v$version from $dir into $out/gitea"
start=$SECONDS
CGO_ENABLED=0 go build -C "$dir" -trimpath \
  -ldflags "-s -w -X main.Version=$version" \
  -o "$out/gitea.tmp" .
mv "$out/gitea.tmp" "$out/gitea"
printf '%s\n' "$dir" >"$out/static-root"
echo "gitea: built in $((SECONDS - start))s"
