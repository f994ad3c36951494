#!/usr/bin/env bash
# Build (or locate) the Pulumi Node.js language host, for TypeScript SDKs of the native plugin
# (`pulumi package gen-sdk --language nodejs`) and TypeScript programs; print its directory last.
#
# The host is pinned in tools/pulumi/nodejs-host (go.mod and go.sum) and built into
# .pulumi-local/node-host (git-ignored).  The engine finds it on PATH, with a warning
# ("using pulumi-language-nodejs from $PATH").  Progress goes to stderr; exit status 1 with
# one line when nothing can be provided.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="$root/.pulumi-local/node-host"
tools="$root/tools/pulumi/nodejs-host"
module="github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3"
say() { echo "install-node-host: $*" >&2; }

version="$(awk -v m="$module" '$1 == m || $2 == m {print $NF}' "$tools/go.mod" | head -n1)"
sdk="$(awk '$1 == "github.com/pulumi/pulumi/sdk/v3" {print $2}' "$tools/go.mod" | head -n1)"
if [ -z "$version" ] || [ -z "$sdk" ]; then
  say "cannot read the pinned versions from tools/pulumi/nodejs-host/go.mod"
  exit 1
fi
stamp="host=$version sdk=$sdk"
if [ -x "$bin/pulumi-language-nodejs" ] && [ -f "$bin/.stamp" ] && [ "$(cat "$bin/.stamp")" = "$stamp" ]; then
  say "pulumi-language-nodejs already built in .pulumi-local/node-host"
  echo "$bin"
  exit 0
fi
if ! command -v go >/dev/null 2>&1; then
  say "Go is not installed (https://go.dev/dl/); it builds the Node.js language host"
  exit 1
fi
say "building pulumi-language-nodejs $version against sdk/v3 $sdk"
mkdir -p "$bin"
rm -f "$bin/.stamp"
(cd "$tools" && CGO_ENABLED=0 GOFLAGS="${GOFLAGS:-} -mod=readonly" GOBIN="$bin" go install -trimpath \
  -tags osusergo,grpcnotrace -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=${sdk}-dev.${version##*-}" \
  "$module") >&2
echo "$stamp" >"$bin/.stamp"
echo "$bin"
