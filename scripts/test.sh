#!/usr/bin/env bash
# `npm test`: every tier in one node test run (unit, provider against the netns lab, end to end with
# the real pulumi CLI), with a lab of its own that is started first and always torn down.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

if [ "$(id -u)" != 0 ]; then
    cat >&2 <<'MSG'
npm test must run as root: the test lab creates network namespaces, bridges and overlay mounts.
Run it as root (e.g. `sudo npm test`) on Debian 12; `npm run test:unit` runs the pure tests as any user.
MSG
    exit 1
fi

npm run --silent typecheck

# A lab of its own, on addresses of its own, so a lab someone left up for exploring is not disturbed.
own_dir=${TEST_LAB_DIR:+no}
export LAB_DIR=${TEST_LAB_DIR:-$(mktemp -d /tmp/pulumi-onprem-test-lab.XXXXXX)}
export LAB_NAME=${TEST_LAB_NAME:-ot} LAB_NET=${TEST_LAB_NET:-10.79}
export PULUMI_ONPREM_LAB_INVENTORY=$LAB_DIR/inventory.json
cleanup() {
    if bash test/lab/lab.sh down >/dev/null; then
        if [ "${own_dir:-yes}" = yes ]; then rm -rf "$LAB_DIR"; fi
    else
        echo "test: lab teardown failed; run: LAB_DIR=$LAB_DIR npm run lab -- down" >&2
    fi
}
trap cleanup EXIT
started=$SECONDS
# 4 hosts: the OvsMesh tests add a 4th host to a mesh of 3 and remove it again (a host costs well under 1 s).
bash test/lab/lab.sh up 4
echo "test: lab of 4 hosts up in $((SECONDS - started)) s"

shopt -s globstar nullglob
files=(test/unit/**/*.test.ts test/package/**/*.test.ts test/provider/**/*.test.ts test/e2e/**/*.test.ts)
# One file at a time: provider and e2e tests share the lab's hosts.
node --import tsx --test --test-concurrency=1 --test-reporter=spec "${files[@]}"
