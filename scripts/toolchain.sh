#!/usr/bin/env bash
# Builds the Pulumi CLI and the Node.js language host from Go modules (the CLI's own installer
# downloads binaries, which these machines cannot), and puts them beside the dynamic-provider plugin
# script from the npm package. Does nothing when the right build is already there.
# Prints the directory to put on PATH as its last line.
set -euo pipefail

VERSION=v3.248.0
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin=${PULUMI_ONPREM_TOOLCHAIN_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-onprem/toolchain/$VERSION}/bin
ldflags="-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$VERSION"

log() { echo "toolchain: $*" >&2; }

# Go's own installer puts it in /usr/local/go, which a non-login shell may not have on PATH.
command -v go >/dev/null || { [ -x /usr/local/go/bin/go ] && export PATH=$PATH:/usr/local/go/bin; }
command -v go >/dev/null || { log "Go is required (1.24 or newer) to build the Pulumi CLI"; exit 1; }
mkdir -p "$bin"

# The stamp names what was built from which go.sum: a change to either rebuilds.
stamp() { cat "$root/toolchain/cli/go.sum" "$root/toolchain/language-nodejs/go.sum" | sha256sum | cut -c1-16; }
want="$VERSION $(stamp)"

# The sum database is not reachable from here; go.sum, committed, pins every module's hash.
export GOSUMDB=off GOFLAGS=-mod=readonly

build() { # build DIR PACKAGE
    local started=$SECONDS
    log "building $(basename "$2") $VERSION (cached modules and build cache make reruns fast)"
    (cd "$root/toolchain/$1" && go build -trimpath -ldflags "$ldflags" -o "$bin/" "$2")
    log "built $(basename "$2") in $((SECONDS - started)) s"
}

if [ "$(cat "$bin/.stamp" 2>/dev/null)" = "$want" ] && [ -x "$bin/pulumi" ] && [ -x "$bin/pulumi-language-nodejs" ] \
    && [ "$("$bin/pulumi" version 2>/dev/null)" = "$VERSION" ]; then
    log "pulumi $VERSION already built in $bin"
else
    build cli github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
    # The language host's own module (sdk/nodejs/cmd/pulumi-language-nodejs/v3) is not served by the
    # module proxy here; sdk/v3 v3.68.0 still carries it as a package and speaks the same protocol.
    build language-nodejs github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs
    [ "$("$bin/pulumi" version)" = "$VERSION" ] || { log "built pulumi does not report $VERSION"; exit 1; }
    echo "$want" > "$bin/.stamp"
fi

# The engine starts dynamic providers through this script from the npm package; without it, it would try to download a plugin.
plugin="$root/node_modules/@pulumi/pulumi/pulumi-resource-pulumi-nodejs"
if [ -f "$plugin" ]; then
    cmp -s "$plugin" "$bin/pulumi-resource-pulumi-nodejs" 2>/dev/null || install -m 0755 "$plugin" "$bin/pulumi-resource-pulumi-nodejs"
else
    log "run 'npm ci' first: $plugin is missing"; exit 1
fi
echo "$bin"
