#!/usr/bin/env bash
# `npm run demo`: on a fresh Debian 12 machine, as root, in one command: install what is missing, build
# the Pulumi CLI, start a lab of 3 hosts, `pulumi up` the datacenter example on it (static addresses,
# an Open vSwitch mesh, a private registry behind a keepalived VIP), print what runs where, show a
# failover, then destroy and tear the lab down. `--keep-lab` leaves the stack and the lab up to explore.
# `--vm` runs it on 3 Debian VMs (qemu; real systemd, kernel Open vSwitch, dockerd) with every default,
# and pings from a container on each host to the others' across the mesh (allow 15-30 minutes under TCG).
# `--vm --bare`: on 3 bare Debian servers instead (sshd, nothing else), which install keepalived, Open
# vSwitch, dockerd and docker-registry from the lab's package mirror during `up` (allow 30-45 minutes).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

keep=no vm=no bare=no
for arg in "$@"; do
    case $arg in
        --keep-lab) keep=yes ;;
        --vm) vm=yes ;;
        --bare) bare=yes ;;
        -h | --help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "demo: unknown argument $arg (try --help)" >&2; exit 2 ;;
    esac
done
[ "$bare" = no ] || [ "$vm" = yes ] || { echo "demo: --bare needs --vm (bare servers are VMs)" >&2; exit 2; }
if [ "$(id -u)" != 0 ]; then
    echo "demo: run it as root (the lab creates network namespaces and bridges), e.g. sudo npm run demo" >&2
    exit 1
fi

step() { printf '\n==> %s\n' "$*"; }
step "1/4 installing what is missing (Debian packages, npm packages, the Pulumi CLI built from Go modules; the first run takes a few minutes)"
bash scripts/setup.sh

# A lab of its own, on addresses of its own, so it never disturbs another lab or the tests.
if [ "$vm" = yes ]; then
    export VMLAB_DIR=${DEMO_VMLAB_DIR:-/tmp/pulumi-onprem-demo-vm} VMLAB_NAME=${DEMO_VMLAB_NAME:-dv} VMLAB_NET=${DEMO_VMLAB_NET:-10.96}
    export VMLAB_BOOT_TIMEOUT=${VMLAB_BOOT_TIMEOUT:-1200}
    export PULUMI_ONPREM_LAB_INVENTORY=$VMLAB_DIR/inventory.json
    flavor=(); [ "$bare" = no ] || flavor=(--bare)
    step "2/4 starting 3 ${flavor:+bare }Debian VMs on $VMLAB_NET.0.0/24 ($VMLAB_DIR; the first run builds the image)"
    bash test/vmlab/vmlab.sh install
    bash test/vmlab/vmlab.sh build "${flavor[@]}"
    bash test/vmlab/vmlab.sh down >/dev/null 2>&1 || true
    bash test/vmlab/vmlab.sh up 3 "${flavor[@]}"
    lab_down() { bash test/vmlab/vmlab.sh down >/dev/null || echo "demo: VM lab teardown failed; run: VMLAB_DIR=$VMLAB_DIR VMLAB_NAME=$VMLAB_NAME VMLAB_NET=$VMLAB_NET npm run vmlab -- down" >&2; }
else
    export LAB_DIR=${DEMO_LAB_DIR:-/tmp/pulumi-onprem-demo} LAB_NAME=${DEMO_LAB_NAME:-dc} LAB_NET=${DEMO_LAB_NET:-10.78}
    export PULUMI_ONPREM_LAB_INVENTORY=$LAB_DIR/inventory.json
    step "2/4 starting a lab of 3 hosts on $LAB_NET.0.0/24 ($LAB_DIR)"
    bash test/lab/lab.sh up --recreate 3
    lab_down() { bash test/lab/lab.sh down >/dev/null || echo "demo: lab teardown failed; run: LAB_DIR=$LAB_DIR npm run lab -- down" >&2; }
fi

if [ "$keep" = no ]; then
    trap 'step "tearing the lab down"; lab_down' EXIT
fi
step "3/4 pulumi up of examples/datacenter, then what runs where"
DEMO_KEEP=$keep node --import tsx scripts/demo.ts
