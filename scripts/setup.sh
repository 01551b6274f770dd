#!/usr/bin/env bash
# Installs everything the tests and the demo need on a fresh Debian 12 machine, skipping what is
# there: the lab's Debian packages, the npm packages (from package-lock.json), and the Pulumi CLI
# built from Go modules. Safe to run again.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

if [ "$(id -u)" = 0 ]; then
    bash test/lab/lab.sh install
    bash test/vmlab/vmlab.sh install
else
    echo "setup: not root: skipping the lab's Debian packages (the lab and the tests need root)" >&2
fi

# --ignore-scripts: no dependency needs its install script (ssh2's optional native crypto falls
# back to JavaScript; @pulumi/command's would try to download a plugin).
if [ ! -d node_modules ] || ! npm ls --depth=0 >/dev/null 2>&1; then
    npm ci --ignore-scripts --no-audit --no-fund
fi

bash scripts/toolchain.sh >/dev/null
