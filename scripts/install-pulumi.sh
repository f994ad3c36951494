#!/usr/bin/env bash
# Build (or locate) the Pulumi CLI and the Python language host; print the bin directory last.
#
# Contract: the last line on stdout is the absolute path of a directory holding `pulumi`,
# `pulumi-language-python`, `pulumi-language-python-exec` and `pulumi-resource-pulumi-python`.
# Progress goes to stderr.  Exit status 1 with one line when nothing can be provided.
#
# Order:
#   1. .pulumi-local/bin already holds the pinned build            -> use it (nothing is rebuilt)
#   2. a `pulumi` of the pinned version or newer is on PATH           -> use it and say so
#      (skipped when ECI_PULUMI_FROM_SOURCE=1, as .ci/run sets it)
#   3. Go is installed                                                 -> build from the Go modules
#                                                                         pinned in tools/pulumi/
# The Go caches (GOMODCACHE, GOCACHE) make a rebuild on the same machine take seconds.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="$root/.pulumi-local/bin"
tools="$root/tools/pulumi"
say() { echo "install-pulumi: $*" >&2; }

# The pins live in the tools modules' go.mod files, so there is one place to change them.
cli_version="$(awk '$1 == "github.com/pulumi/pulumi/pkg/v3" || $2 == "github.com/pulumi/pulumi/pkg/v3" {print $NF}' "$tools/go.mod" | head -n1)"
host_module="github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3"
host_version="$(awk -v m="$host_module" '$1 == m || $2 == m {print $NF}' "$tools/python-host/go.mod" | head -n1)"
host_sdk="$(awk '$1 == "github.com/pulumi/pulumi/sdk/v3" {print $2}' "$tools/python-host/go.mod" | head -n1)"
if [ -z "$cli_version" ] || [ -z "$host_version" ] || [ -z "$host_sdk" ]; then
  say "cannot read the pinned versions from tools/pulumi/go.mod and tools/pulumi/python-host/go.mod"
  exit 1
fi
host_commit="${host_version##*-}"
# The host has no release tag: name it after the release it was built against and its commit.
host_label="${host_sdk}-dev.${host_commit}"
stamp="cli=$cli_version host=$host_version shims=sdk/v3@$cli_version"

semver_ge() {  # semver_ge A B: is A >= B (both vX.Y.Z, pre-release suffixes ignored)?
  local a b i
  IFS=. read -r -a a <<<"${1#v}"
  IFS=. read -r -a b <<<"${2#v}"
  for i in 0 1 2; do
    local x="${a[$i]%%[-+]*}" y="${b[$i]%%[-+]*}"
    x="${x:-0}" y="${y:-0}"
    if ((10#$x > 10#$y)); then return 0; fi
    if ((10#$x < 10#$y)); then return 1; fi
  done
  return 0
}

# 1. The pinned build is already here.
if [ -x "$bin/pulumi" ] && [ -f "$bin/.stamp" ] && [ "$(cat "$bin/.stamp")" = "$stamp" ] \
   && [ "$("$bin/pulumi" version 2>/dev/null)" = "$cli_version" ]; then
  say "Pulumi $cli_version already built in .pulumi-local/bin"
  echo "$bin"
  exit 0
fi

# 2. A CLI from pulumi.com (or a package manager) that is new enough.
if [ "${ECI_PULUMI_FROM_SOURCE:-0}" != "1" ] && command -v pulumi >/dev/null 2>&1; then
  found="$(command -v pulumi)"
  found_version="$(pulumi version 2>/dev/null || true)"
  found_dir="$(cd "$(dirname "$found")" && pwd)"
  if [[ "$found_version" == v3.* ]] && semver_ge "$found_version" "$cli_version" \
     && [ -x "$found_dir/pulumi-language-python" ]; then
    say "using the Pulumi CLI on PATH: $found ($found_version; the pin is $cli_version)"
    echo "$found_dir"
    exit 0
  fi
  say "ignoring $found (${found_version:-no version}): it is older than $cli_version or has no Python language host"
fi

# 3. Build from the Go modules.
if ! command -v go >/dev/null 2>&1; then
  say "neither Go (1.26 or newer, https://go.dev/dl/) nor a Pulumi CLI $cli_version or newer (https://www.pulumi.com/docs/install/) is installed; install one of them"
  exit 1
fi
say "building Pulumi $cli_version and its Python language host from Go modules with $(go version | awk '{print $3}')"
say "GOMODCACHE=$(go env GOMODCACHE) GOCACHE=$(go env GOCACHE); a first build downloads about 1 GB of modules and takes several minutes"
mkdir -p "$bin"
rm -f "$bin/.stamp"
flags=(-trimpath -tags osusergo,grpcnotrace)
ldflag="-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version"
export CGO_ENABLED=0 GOFLAGS="${GOFLAGS:-} -mod=readonly"

started=$SECONDS
say "[1/2] downloading and compiling pulumi $cli_version (the longest step)"
(cd "$tools" && GOBIN="$bin" go install "${flags[@]}" -ldflags "$ldflag=$cli_version" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi) >&2
say "[1/2] done in $((SECONDS - started))s"

step=$SECONDS
say "[2/2] downloading and compiling pulumi-language-python $host_label"
(cd "$tools/python-host" && GOBIN="$bin" go install "${flags[@]}" -ldflags "$ldflag=$host_label" "$host_module") >&2
say "[2/2] done in $((SECONDS - step))s"

# The two Python shims the release archive carries ship as plain files in the sdk/v3 module of
# the same release: take them from the module cache (read-only there, so install with the run bit).
sdk_dir="$(cd "$tools" && go list -m -f '{{.Dir}}' github.com/pulumi/pulumi/sdk/v3)"
if [ -z "$sdk_dir" ] || [ ! -f "$sdk_dir/python/dist/pulumi-resource-pulumi-python" ] \
   || [ ! -f "$sdk_dir/python/cmd/pulumi-language-python-exec" ]; then
  say "the sdk/v3 module ($sdk_dir) lacks python/dist/pulumi-resource-pulumi-python or python/cmd/pulumi-language-python-exec"
  exit 1
fi
install -m 0755 "$sdk_dir/python/dist/pulumi-resource-pulumi-python" "$sdk_dir/python/cmd/pulumi-language-python-exec" "$bin/"

built="$("$bin/pulumi" version)"
if [ "$built" != "$cli_version" ]; then
  say "the built CLI says $built, not $cli_version"
  exit 1
fi
echo "$stamp" >"$bin/.stamp"
say "Pulumi $cli_version ready in $((SECONDS - started))s"
echo "$bin"
