#!/usr/bin/env bash
# `npm test`: every tier, each timed, then one closing line with the totals.
#   1. static checks: types, the import direction (dependency-cruiser), dead code (knip)
#   2. unit: pure functions, goldens checked by the real tools
#   3. netns lab: the packed package, provider CRUD and end to end with the real pulumi CLI, on a lab of its own
#   4. VM lab: the same package on real Debian VMs under qemu (systemd, kernel OVS, IPVS, dockerd): a
#      prepared lab of 3, then a bare lab of 2 that installs what it needs from the lab's package mirror
# Tiers 3 and 4 run at the same time (their labs share no name, address or file); the VM tier's console
# output is printed when both have ended.
# Skipped tests are listed with their reasons at the end: a skip is a test that did not run.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

if [ "$(id -u)" != 0 ]; then
    cat >&2 <<'MSG'
npm test must run as root: the test labs create network namespaces, bridges, overlay mounts and VMs.
Run it as root (e.g. `sudo npm test`) on Debian 12; `npm run test:unit` runs the pure tests as any user.
MSG
    exit 1
fi

report_dir=$(mktemp -d /tmp/pulumi-onprem-test-report.XXXXXX)
declare -a tier_lines=()
started_all=$SECONDS

declare -a failed_tiers=()

# run_tier NAME CMD: runs CMD with node --test's reporter options as its arguments (console and TAP),
# and records the tier's time. CMD must put them before its test files: node reads options after a
# file as more file names.
run_tier() {
    local name=$1 cmd=$2
    local started=$SECONDS rc=0
    echo "test: tier '$name' starting"
    "$cmd" --test-reporter=spec --test-reporter-destination=stdout \
           --test-reporter=tap --test-reporter-destination="$report_dir/$name.tap" || rc=$?
    tier_lines+=("$name: $((SECONDS - started)) s (exit $rc)")
    echo "test: tier '$name' took $((SECONDS - started)) s (exit $rc)"
    [ $rc = 0 ] || failed_tiers+=("$name")
}

summary() {
    local pass=0 fail=0 skip=0 f n
    for f in "$report_dir"/*.tap; do
        [ -e "$f" ] || continue
        n=$(sed -n 's/^# pass //p' "$f" | tail -1); pass=$((pass + ${n:-0}))
        n=$(sed -n 's/^# fail //p' "$f" | tail -1); fail=$((fail + ${n:-0}))
        n=$(sed -n 's/^# skipped //p' "$f" | tail -1); skip=$((skip + ${n:-0}))
    done
    echo
    echo "test: times per tier"
    printf '  %s\n' "${tier_lines[@]}"
    echo "  all: $((SECONDS - started_all)) s"
    # Each failed test by name with its error's first line, last: CI shows the end of the output.
    if grep -h "^ *not ok" "$report_dir"/*.tap >/dev/null 2>&1; then
        echo "test: failed:"
        for f in "$report_dir"/*.tap; do
            awk -v tier="$(basename "$f" .tap)" '
                /^ *not ok [0-9]+ - / { name = $0; sub(/^ *not ok [0-9]+ - /, "", name); want = 1; next }
                want && /^ +error: \|-?$/ { block = 1; next }
                want && block { sub(/^ +/, ""); printf "  %s: %s\n    %s\n", tier, name, $0; want = block = 0; next }
                want && /^ +error: / { e = $0; sub(/^ +error: /, "", e); printf "  %s: %s\n    %s\n", tier, name, e; want = 0 }
            ' "$f"
        done
    fi
    if grep -h "# SKIP" "$report_dir"/*.tap >/dev/null 2>&1; then
        echo "test: skipped (did not run):"
        grep -h "# SKIP" "$report_dir"/*.tap | sed 's/^ *ok [0-9]* - /  /'
    fi
    # A tier can fail before any test reports (a crash, a lab that does not come up): say so.
    [ ${#failed_tiers[@]} = 0 ] || echo "test: FAILED tiers: ${failed_tiers[*]}"
    echo "$pass passed, $fail failed, $skip skipped"
    rm -rf "$report_dir" "${pack_dir:-}"
}
trap summary EXIT

static_started=$SECONDS
npm run --silent typecheck
npm run --silent lint:deps
npm run --silent lint:dead
tier_lines+=("static checks: $((SECONDS - static_started)) s")

shopt -s globstar nullglob

# The package as users get it, packed once (its prepack builds it) for every test program of the lab tiers.
pack_dir=$(mktemp -d /tmp/pulumi-onprem-test-pack.XXXXXX)
npm pack --silent --pack-destination "$pack_dir" >/dev/null
PULUMI_ONPREM_TEST_TARBALL=$(ls "$pack_dir"/*.tgz)
export PULUMI_ONPREM_TEST_TARBALL

# The VM tier (about an hour: qemu running VMs, dpkg installing on them, all under TCG) starts first,
# before the unit tier, and runs beside the netns tier: one after the other they would take well over
# CI's 90 min. Its two labs run one after the other: under TCG both are bound by the 2 cores, so side by
# side they took as long as in turn, and stretched each other's timeouts. It runs at a lower CPU priority,
# so the netns tier's timing checks (keepalived's failover and maintenance bounds) get the CPU they would
# get alone; the VM tier's own allow for a starved emulated CPU. Its console output goes to a file,
# printed once it has ended. Its tests start pulumi from node, which resets the SIGINT this background
# job ignores.
vm_log=$report_dir/vm.console
vm_tier() {
    local started=$SECONDS rc=0
    nice -n 10 bash test/vmlab/run-suite.sh --test-reporter=spec --test-reporter-destination=stdout \
         --test-reporter=tap --test-reporter-destination="$report_dir/vm.tap" >"$vm_log" 2>&1 || rc=$?
    echo "vm: $((SECONDS - started)) s (exit $rc)" >"$report_dir/vm.time"
    return $rc
}
echo "test: tier 'vm' starting beside the netns tier (console output when it ends)"
vm_tier &
vm_pid=$!

# wait_vm: waits for the VM tier (on every way out: it tears its own lab down when it ends) and
# prints its console output and time once.
wait_vm() {
    [ -n "${vm_pid:-}" ] || return 0
    local rc=0 line
    wait "$vm_pid" || rc=$?
    vm_pid=
    echo "test: tier 'vm' console output"
    cat "$vm_log"
    line=$(cat "$report_dir/vm.time" 2>/dev/null || echo "vm: did not report (exit $rc)")
    tier_lines+=("$line")
    echo "test: tier 'vm' took ${line#vm: }"
    [ $rc = 0 ] || failed_tiers+=("vm")
}
trap 'wait_vm; summary' EXIT

# The unit tier while the VMs boot.
unit_tests() { node --import tsx --test "$@" test/unit/**/*.test.ts; }
run_tier unit unit_tests

# A netns lab of its own, on addresses of its own, so a lab someone left up for exploring is not disturbed.
own_dir=${TEST_LAB_DIR:+no}
export LAB_DIR=${TEST_LAB_DIR:-$(mktemp -d /tmp/pulumi-onprem-test-lab.XXXXXX)}
export LAB_NAME=${TEST_LAB_NAME:-ot} LAB_NET=${TEST_LAB_NET:-10.79}
export PULUMI_ONPREM_LAB_INVENTORY=$LAB_DIR/inventory.json
netns_down() {
    if bash test/lab/lab.sh down >/dev/null; then
        if [ "${own_dir:-yes}" = yes ]; then rm -rf "$LAB_DIR"; fi
    else
        echo "test: lab teardown failed; run: LAB_DIR=$LAB_DIR npm run lab -- down" >&2
    fi
}
trap 'netns_down; wait_vm; summary' EXIT
# 4 hosts: the OvsMesh tests add a 4th host to a mesh of 3 and remove it again (a host costs well under 1 s).
bash test/lab/lab.sh up 4
# One file at a time: provider and e2e tests share the lab's hosts.
netns_tests() {
    node --import tsx --test --test-concurrency=1 "$@" \
        test/package/**/*.test.ts test/provider/**/*.test.ts test/e2e/**/*.test.ts
}
run_tier netns netns_tests
netns_down
trap 'wait_vm; summary' EXIT
wait_vm
[ ${#failed_tiers[@]} = 0 ]
