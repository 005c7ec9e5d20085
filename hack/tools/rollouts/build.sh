#!/usr/bin/env bash
# Builds the Argo Rollouts controller that tests use to execute AnalysisRuns
# (internal/rolloutstest) into bin/rollouts/<version>/rollouts-controller, from
# Argo Rollouts' Go module and nothing else, and copies the module's CRDs
# (manifests/crds) next to it as bin/rollouts/<version>/crds.
#
# The module's go.mod carries replace directives, so `go install
# github.com/argoproj/argo-rollouts/cmd/rollouts-controller@v...` refuses it.
# Instead we build it as the main module from its (read-only) directory in the
# module cache. v1.10.2 and later need a newer Go toolchain than the one pinned
# here, hence v1.10.1.
#
# Usage: hack/tools/rollouts/build.sh [bin-dir]   (default: <repo>/bin)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
version="$(tr -d ' \n' <"$here/VERSION")"
bin="${1:-$root/bin}"
out="$bin/rollouts/$version"

export GOFLAGS="-mod=readonly"
dir="$(go mod download -json "github.com/argoproj/argo-rollouts@v$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')"
if [ -z "$dir" ] || [ ! -f "$dir/go.mod" ] || [ ! -d "$dir/manifests/crds" ]; then
  echo "rollouts: go mod download did not report the module directory" >&2
  exit 1
fi

mkdir -p "$out"
echo "rollouts: building v$version from $dir into $out/rollouts-controller"
start=$SECONDS
CGO_ENABLED=0 go build -C "$dir" -trimpath -ldflags "-s -w" \
  -o "$out/rollouts-controller.tmp" ./cmd/rollouts-controller
rm -rf "$out/crds.tmp"
mkdir -p "$out/crds.tmp"
cp "$dir"/manifests/crds/*-crd.yaml "$out/crds.tmp/"
chmod -R u+w "$out/crds.tmp"
rm -rf "$out/crds"
mv "$out/crds.tmp" "$out/crds"
# The binary last: its presence is what make and the test harness check.
mv "$out/rollouts-controller.tmp" "$out/rollouts-controller"
echo "rollouts: built in $((SECONDS - start))s"
