#!/usr/bin/env bash
# The VM-lab test tier: a VM lab of its own (3 VMs, one per network flavor),
# test/vm/**/*.test.ts one file at a time, the lab always torn down. Prints how
# long the image build, the boot and the suite took. Fails (never skips) when
# qemu cannot run here.
#
# Environment: TEST_VMLAB_DIR, TEST_VMLAB_NAME (default ovm), TEST_VMLAB_NET
# (default 10.97): a lab someone left up for exploring is not disturbed.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"

[ "$(id -u)" = 0 ] || { echo "vm tests: must run as root (the VM lab creates bridges and taps)" >&2; exit 1; }

own_dir=${TEST_VMLAB_DIR:+no}
export VMLAB_DIR=${TEST_VMLAB_DIR:-$(mktemp -d /tmp/pulumi-onprem-test-vmlab.XXXXXX)}
export VMLAB_NAME=${TEST_VMLAB_NAME:-ovm} VMLAB_NET=${TEST_VMLAB_NET:-10.97}
export PULUMI_ONPREM_LAB_INVENTORY=$VMLAB_DIR/inventory.json
# other VMs on the machine can stretch a boot far beyond the usual 2-4 min
export VMLAB_BOOT_TIMEOUT=${VMLAB_BOOT_TIMEOUT:-1200}
vmlab() { bash test/vmlab/vmlab.sh "$@"; }

cleanup() {
  local rc=$?
  if vmlab down >/dev/null; then
    if [ "${own_dir:-yes}" = yes ]; then rm -rf "$VMLAB_DIR"; fi
  else
    echo "vm tests: lab teardown failed; run: VMLAB_DIR=$VMLAB_DIR npm run vmlab -- down" >&2
  fi
  exit $rc
}
trap cleanup EXIT

t=$SECONDS
vmlab install >/dev/null
vmlab build >/dev/null || { echo "vm tests: building the VM image failed" >&2; exit 1; }
t_build=$((SECONDS - t))
echo "vm tests: image ready in $t_build s"

t=$SECONDS
if ! vmlab up 3 --net ifupdown,networkmanager,netplan; then
  echo "vm tests: FAILED: the VM lab did not come up (qemu could not run, or the VMs did not boot); nothing was tested" >&2
  exit 1
fi
t_boot=$((SECONDS - t))

shopt -s globstar nullglob
files=(test/vm/**/*.test.ts)
[ ${#files[@]} -gt 0 ] || { echo "vm tests: no test files under test/vm" >&2; exit 1; }
t=$SECONDS
rc=0
# Reporter arguments come from the caller (scripts/test.sh writes TAP beside the console); spec alone otherwise.
reporters=("$@"); [ ${#reporters[@]} -gt 0 ] || reporters=(--test-reporter=spec)
node --import tsx --test --test-concurrency=1 "${reporters[@]}" "${files[@]}" || rc=$?
echo "vm tests: image $t_build s, boot of 3 VMs $t_boot s, suite $((SECONDS - t)) s"
exit $rc
