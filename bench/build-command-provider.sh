#!/usr/bin/env bash
# Builds the @pulumi/command provider plugin (v1.2.1) for the benchmark's naive @pulumi/command program.
#
#   bash bench/build-command-provider.sh SRC
#
# SRC: a checkout of github.com/pulumi/pulumi-command at v1.2.1
# (commit 7f3eb6f3b77cd0fa3895ba437a695dd393f7dd25). The module proxy refuses the provider module
# itself (github.com/pulumi/pulumi-command/provider: "not available"), so its source comes from a
# checkout; every dependency is an ordinary Go module from the proxy, pinned by the checkout's go.sum.
# Installs into ~/.cache/pulumi-onprem/command-provider/v1.2.1/, where `npm run bench` looks
# (or set PULUMI_COMMAND_PROVIDER to a binary elsewhere).
set -euo pipefail
src=${1:?usage: build-command-provider.sh SRC (a pulumi-command v1.2.1 checkout)}
out=${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-onprem/command-provider/v1.2.1
command -v go >/dev/null || { [ -x /usr/local/go/bin/go ] && export PATH=$PATH:/usr/local/go/bin; }
[ -f "$src/provider/go.mod" ] || { echo "build-command-provider: $src/provider/go.mod missing" >&2; exit 1; }
mkdir -p "$out"
cd "$src/provider"
GOSUMDB=off GOFLAGS=-mod=readonly go build -trimpath \
  -ldflags "-s -w -X github.com/pulumi/pulumi-command/provider/pkg/version.Version=v1.2.1" \
  -o "$out/" ./cmd/pulumi-resource-command
echo "$out/pulumi-resource-command"
