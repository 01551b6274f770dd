#!/usr/bin/env bash
# The VM-lab test tier, two labs one after the other, each always torn down:
#   prepared  3 VMs of the full image, one per network flavor: test/vm/**/*.test.ts (and test/vm-full/
#             with PULUMI_ONPREM_VM_FULL=1)
#   bare      2 minimal Debian servers reading the lab's package mirror: test/vm-bare/**/*.test.ts
# One file at a time in each. Prints how long each image, boot and suite took. Fails (never skips) when
# qemu cannot run here.
#
# Usage: run-suite.sh [NODE_TEST_REPORTER_OPTIONS...]
# Environment: TEST_VMLAB_DIR, TEST_VMLAB_NAME (default ovm; the bare lab adds "b"), TEST_VMLAB_NET
# (default 10.97; the bare lab uses the next /16): a lab someone left up for exploring is not disturbed.
# TEST_VM_LABS: which labs to run (default "prepared bare"). PULUMI_ONPREM_VM_FULL=1 (npm run
# test:vm-full): the tests' longer parts too (restarts, reboots, a second tunnel type) and test/vm-full/
# (registry garbage collection and power loss on VMs; the netns tier runs both its way on every `npm test`).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"

[ "$(id -u)" = 0 ] || { echo "vm tests: must run as root (the VM lab creates bridges and taps)" >&2; exit 1; }

name=${TEST_VMLAB_NAME:-ovm}
net=${TEST_VMLAB_NET:-10.97}
base_dir=${TEST_VMLAB_DIR:-}
export VMLAB_BOOT_TIMEOUT=${VMLAB_BOOT_TIMEOUT:-1200}   # other VMs on the machine can stretch a boot far beyond the usual 2-4 min
reporters=("$@"); [ ${#reporters[@]} -gt 0 ] || reporters=(--test-reporter=spec)
shopt -s globstar nullglob
declare -a times=()
rc=0

# run_lab LABEL VMLAB_NAME VMLAB_NET "UP ARGS" "BUILD ARGS" FILES...
run_lab() {
  local label=$1 lab_name=$2 lab_net=$3 up_args=$4 build_args=$5; shift 5
  local files=("$@") t t_build t_boot own_dir=yes lab_rc=0
  [ ${#files[@]} -gt 0 ] || { echo "vm tests: no test files for the $label lab" >&2; return 1; }
  export VMLAB_NAME=$lab_name VMLAB_NET=$lab_net
  if [ -n "$base_dir" ]; then export VMLAB_DIR=$base_dir/$label; own_dir=no; else export VMLAB_DIR=$(mktemp -d "/tmp/pulumi-onprem-test-vmlab-$label.XXXXXX"); fi
  export PULUMI_ONPREM_LAB_INVENTORY=$VMLAB_DIR/inventory.json
  # shellcheck disable=SC2064
  trap "teardown '$VMLAB_DIR' $own_dir" EXIT

  t=$SECONDS
  bash test/vmlab/vmlab.sh install >/dev/null
  # shellcheck disable=SC2086
  bash test/vmlab/vmlab.sh build $build_args >/dev/null || { echo "vm tests: building the $label VM image failed" >&2; teardown "$VMLAB_DIR" "$own_dir"; trap - EXIT; return 1; }
  t_build=$((SECONDS - t))
  t=$SECONDS
  # shellcheck disable=SC2086
  if ! bash test/vmlab/vmlab.sh up $up_args; then
    echo "vm tests: FAILED: the $label VM lab did not come up (qemu could not run, or the VMs did not boot); nothing was tested" >&2
    teardown "$VMLAB_DIR" "$own_dir"; trap - EXIT
    return 1
  fi
  t_boot=$((SECONDS - t))
  t=$SECONDS
  # A TAP file per lab (vm.tap -> vm-prepared.tap, vm-bare.tap): the second run would overwrite the first's.
  local -a lab_reporters=(); local r
  for r in "${reporters[@]}"; do
    [[ $r == --test-reporter-destination=*.tap ]] && r=${r%.tap}-$label.tap
    lab_reporters+=("$r")
  done
  node --import tsx --test --test-concurrency=1 "${lab_reporters[@]}" "${files[@]}" || lab_rc=$?
  times+=("$label lab: image $t_build s, boot $t_boot s, suite $((SECONDS - t)) s (exit $lab_rc)")
  teardown "$VMLAB_DIR" "$own_dir"
  trap - EXIT
  return $lab_rc
}

teardown() {
  if VMLAB_DIR=$1 bash test/vmlab/vmlab.sh down >/dev/null; then
    if [ "$2" = yes ]; then rm -rf "$1"; fi
  else
    echo "vm tests: lab teardown failed; run: VMLAB_DIR=$1 npm run vmlab -- down" >&2
  fi
}

# free_lab NAME NET: NAME and NET, or the first of three others (NAME's last letter moved on, NET's
# second octet down by 10 each) whose bridges and addresses no lab on this machine uses: a lab left
# behind by a run that was killed must not fail this one, nor be taken down by it.
free_lab() {
  local name=$1 n2=${2#*.} i cand letters=" xyz"
  for i in 0 1 2 3; do
    cand=$name; [ "$i" = 0 ] || cand=${name:0:$((${#name} < 4 ? ${#name} : 3))}${letters:i:1}
    if [ ! -e "/sys/class/net/${cand}br0" ] && [ ! -e "/sys/class/net/${cand}br1" ] \
       && ! ip -o -4 address show | grep -qE " ${2%%.*}\.$((n2 - 10 * i))\.[01]\.[0-9]+/"; then
      echo "$cand ${2%%.*}.$((n2 - 10 * i))"; return 0
    fi
    echo "vm tests: lab '$cand' or ${2%%.*}.$((n2 - 10 * i)) is in use on this machine; trying another" >&2
  done
  echo "vm tests: no free lab name and network beside '$name' $2" >&2; return 1
}

# The bare lab's /16 is the next one: 10.97 -> 10.98 would be the default lab's, so it counts down.
bare_net=${net%.*}.$(( ${net#*.} - 2 ))
for label in ${TEST_VM_LABS:-prepared bare}; do
  case $label in
    prepared)
      files=(test/vm/**/*.test.ts)
      [ "${PULUMI_ONPREM_VM_FULL:-}" != 1 ] || files+=(test/vm-full/**/*.test.ts)
      read -r lab_name lab_net < <(free_lab "$name" "$net") || { rc=1; continue; }
      run_lab prepared "$lab_name" "$lab_net" "3 --net ifupdown,networkmanager,netplan" "" "${files[@]}" || rc=1 ;;
    bare)
      read -r lab_name lab_net < <(free_lab "${name:0:3}b" "$bare_net") || { rc=1; continue; }
      run_lab bare "$lab_name" "$lab_net" "2 --bare" "--bare" test/vm-bare/**/*.test.ts || rc=1 ;;
    *) echo "vm tests: unknown lab '$label' in TEST_VM_LABS (prepared, bare)" >&2; rc=1 ;;
  esac
done
printf 'vm tests: %s\n' "${times[@]}"
exit $rc
