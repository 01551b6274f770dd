#!/bin/bash
# The pulumi-onprem VM test lab: N Debian 12 VMs under qemu (TCG), with real
# systemd, kernel Open vSwitch datapath, IPVS and dockerd, reachable over SSH.
#
#   vmlab.sh up [--recreate] [N] [--net FLAVOR,...] [--bare] [--no-snapshot]
#                                 start N VMs (default 3) and write the inventory;
#                                 FLAVOR per VM, in order, for its eth1: ifupdown
#                                 (default), networkmanager or netplan; --bare:
#                                 minimal Debian servers (ifupdown only) whose apt
#                                 reads the lab's package mirror. The first 'up' of a
#                                 lab boots it and saves it as a snapshot (qemu's
#                                 saved state, disks, keys); later ones restore it
#                                 (seconds instead of minutes) and set the VMs'
#                                 clocks. --no-snapshot: boot, neither use nor save one
#   vmlab.sh down                 stop the VMs and the mirror, remove taps, bridges, disks
#   vmlab.sh mirror start|stop|status
#                                 the bare lab's package mirror (for fault tests)
#   vmlab.sh status               VMs, whether qemu runs and sshd answers
#                                 (exit 0: all up, 1: something is wrong, 3: no lab)
#   vmlab.sh power-cycle VM       cut VM's power (kill -9 of its qemu, by the recorded
#                                 pid) and start it again with the same qemu arguments;
#                                 updates qemuPid in the inventory (does not wait for SSH)
#   vmlab.sh exec VM [--] CMD...  run CMD in VM as root over SSH (host key pinned);
#                                 CMD's exit code (VM: a name such as vm2, or just 2)
#   vmlab.sh build [--bare]       build the VM image if its recipe changed; print its dir
#   vmlab.sh install              install the Debian packages the lab needs
#
# Environment:
#   VMLAB_DIR   work directory (default /tmp/pulumi-onprem-vmlab)
#   VMLAB_NAME  prefix of VM, tap and bridge names: 1-4 of [a-z0-9], first and
#               last a letter (default vm)
#   VMLAB_NET   first two octets of the lab's networks (default 10.98)
#   VMLAB_MEM   MiB of memory per VM (default 1024)
#   VMLAB_BOOT_TIMEOUT  s to wait for all VMs to accept SSH (default 600)
#   VMLAB_MIRROR_PORT   port of the package mirror on the machine (default 3142)
#   VMLAB_SNAPSHOT      0: as --no-snapshot. Snapshots live in
#               ${XDG_CACHE_HOME:-~/.cache}/pulumi-onprem/vmlab/snapshots/<key>/, key: a
#               hash of the image, name, net, N, flavors, --bare, mirror, VMLAB_MEM, qemu's
#               version and its arguments (vm_args); one per lab name and net is kept
#
# Layout (defaults): bridge vmbr0 = management net 10.98.0.0/24, the machine is
# 10.98.0.1, VM vmN is 10.98.0.(10+N) on its eth0. Bridge vmbr1 = underlay, no
# address on the machine; each VM's eth1 is on it, up, without an address (the
# inventory suggests 10.98.1.(10+N)/24). No default route in the VMs, no NAT:
# they reach nothing outside the lab. .100 and up are never used by the lab.
# A bare lab's mirror is http://10.98.0.1:3142/ on the management bridge: a
# signed Debian repository built with the bare image (build-image.sh --bare),
# served by busybox httpd.
set -euo pipefail
umask 022

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
MAX_VMS=89
FLAVORS=" ifupdown networkmanager netplan "

die() { echo "vmlab.sh: $*" >&2; exit 1; }
say() { echo "vmlab.sh: $*"; }
usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"; }

# ---- configuration ------------------------------------------------------------
# An explicitly set name/net must match the lab recorded in VMLAB_DIR, so that
# 'down' never removes another lab than the one meant.
ENV_NAME=${VMLAB_NAME-}; ENV_NET=${VMLAB_NET-}
VMLAB_DIR=${VMLAB_DIR:-/tmp/pulumi-onprem-vmlab}
[[ $VMLAB_DIR == /* ]] || VMLAB_DIR=$PWD/$VMLAB_DIR
[[ $VMLAB_DIR =~ ^[A-Za-z0-9._/+-]+$ ]] || die "VMLAB_DIR '$VMLAB_DIR': only letters, digits and ._/+- please (it goes into qemu options)"
VMLAB_NAME=${VMLAB_NAME:-vm}
VMLAB_NET=${VMLAB_NET:-10.98}
VMLAB_MEM=${VMLAB_MEM:-1024}
BOOT_TIMEOUT=${VMLAB_BOOT_TIMEOUT:-600}
MIRROR_PORT=${VMLAB_MIRROR_PORT:-3142}
STATE=$VMLAB_DIR/vmlab.env
if [ -f "$STATE" ]; then
  rec_name=$VMLAB_NAME; rec_net=$VMLAB_NET
  while IFS='=' read -r k v; do
    case $k in VMLAB_NAME) rec_name=$v ;; VMLAB_NET) rec_net=$v ;; esac
  done < "$STATE"
  [ -z "$ENV_NAME" ] || [ "$ENV_NAME" = "$rec_name" ] \
    || die "$VMLAB_DIR holds lab '$rec_name', not '$ENV_NAME' (use another VMLAB_DIR)"
  [ -z "$ENV_NET" ] || [ "$ENV_NET" = "$rec_net" ] \
    || die "$VMLAB_DIR holds lab '$rec_name' on $rec_net, not $ENV_NET (use another VMLAB_DIR)"
  VMLAB_NAME=$rec_name; VMLAB_NET=$rec_net
fi
[[ $VMLAB_NAME =~ ^[a-z]([a-z0-9]{0,2}[a-z])?$ ]] \
  || die "VMLAB_NAME '$VMLAB_NAME': 1-4 of [a-z0-9], first and last a letter (interface names must stay under 15 characters)"
[[ $VMLAB_NET =~ ^([0-9]{1,3})\.([0-9]{1,3})$ ]] && [ "${BASH_REMATCH[1]}" -le 255 ] && [ "${BASH_REMATCH[2]}" -le 255 ] \
  || die "VMLAB_NET '$VMLAB_NET': expected two octets such as 10.98"
NET1=${BASH_REMATCH[1]} NET2=${BASH_REMATCH[2]}
[[ $VMLAB_MEM =~ ^[0-9]+$ ]] && [ "$VMLAB_MEM" -ge 512 ] || die "VMLAB_MEM '$VMLAB_MEM': MiB, at least 512"

BR0=${VMLAB_NAME}br0                 # management bridge
BR1=${VMLAB_NAME}br1                 # underlay bridge
VMS_DIR=$VMLAB_DIR/vms
KEY=$VMLAB_DIR/keys/id_ed25519
KNOWN_HOSTS=$VMLAB_DIR/known_hosts
INVENTORY=$VMLAB_DIR/inventory.json

need_root() { [ "$EUID" = 0 ] || die "must run as root (bridges, taps)"; }
link_exists() { [ -e "/sys/class/net/$1" ]; }
elapsed() { local us=$(( ${EPOCHREALTIME/./} - ${1/./} )); printf '%d.%01d' $((us / 1000000)) $((us % 1000000 / 100000)); }

# VMs recorded in VMS_DIR, in order: vm1 vm2 ... vm10
recorded_vms() {
  local d nums=()
  for d in "$VMS_DIR"/"$VMLAB_NAME"*; do
    [[ ${d##*/} =~ ^${VMLAB_NAME}([0-9]+)$ ]] && nums[BASH_REMATCH[1]]=1
  done
  for d in "${!nums[@]}"; do echo "$VMLAB_NAME$d"; done
}
# taps named like this lab's (recorded or not)
lab_taps() {
  local f
  for f in /sys/class/net/"$VMLAB_NAME"t*; do
    [[ ${f##*/} =~ ^${VMLAB_NAME}t[0-9]+[mu]$ ]] && echo "${f##*/}"
  done
  return 0
}
lab_exists() { [ -f "$STATE" ] || link_exists "$BR0" || link_exists "$BR1" || [ -n "$(lab_taps)" ]; }

# is PID the qemu that 'up' started for VM? (guards against a recycled pid)
is_vm_qemu() {
  local args
  [ -r "/proc/$1/cmdline" ] || return 1
  mapfile -d '' args < "/proc/$1/cmdline" 2>/dev/null || return 1
  [[ ${args[0]:-} == *qemu-system-x86_64 ]] && [[ " ${args[*]} " == *" -name $2,"* ]] \
    && [[ " ${args[*]} " == *"$VMS_DIR/$2/"* ]]
}
vm_pid() { local p; read -r p 2>/dev/null < "$VMS_DIR/$1/qemu.pid" && is_vm_qemu "$p" "$1" && echo "$p"; }

ssh_opts() {
  echo -i "$KEY" -o UserKnownHostsFile="$KNOWN_HOSTS" -o StrictHostKeyChecking=yes \
    -o GlobalKnownHostsFile=/dev/null -o BatchMode=yes -o LogLevel=ERROR -o ConnectTimeout=60 -o ServerAliveInterval=15 \
    -o IdentitiesOnly=yes
}

# ---- install / build -----------------------------------------------------------
cmd_install() { need_root; bash "$HERE/install-tools.sh"; }
cmd_build() { need_root; bash "$HERE/build-image.sh" "$@"; }

# ---- up ------------------------------------------------------------------------
cmd_up() {
  local recreate=0 bare=0 n=3 nets="" i h flav t0 tb ts img mirror="" use_snap=1 skey="" snap="" ktext="" tboot
  local -a flavor=()
  [ "${VMLAB_SNAPSHOT:-1}" != 0 ] || use_snap=0
  while [ $# -gt 0 ]; do
    case $1 in
      --recreate) recreate=1 ;;
      --bare) bare=1 ;;
      --no-snapshot) use_snap=0 ;;
      --net) [ $# -ge 2 ] || die "up: --net needs FLAVOR,..."; nets=$2; shift ;;
      --net=*) nets=${1#--net=} ;;
      *) [[ $1 =~ ^[0-9]+$ ]] || die "up: unexpected argument '$1' (usage: vmlab.sh up [--recreate] [N] [--net FLAVOR,...] [--bare] [--no-snapshot])"; n=$1 ;;
    esac
    shift
  done
  [ "$n" -ge 1 ] && [ "$n" -le $MAX_VMS ] || die "up: N must be 1..$MAX_VMS"
  IFS=, read -r -a flavor <<< "$nets"
  [ ${#flavor[@]} -le "$n" ] || die "up: --net names ${#flavor[@]} flavors for $n VMs"
  for ((i = 0; i < n; i++)); do
    flav=${flavor[i]:-ifupdown}; [ -n "$flav" ] || flav=ifupdown
    [[ $FLAVORS == *" $flav "* ]] || die "up: unknown network flavor '$flav' (one of:$FLAVORS)"
    [ $bare = 0 ] || [ "$flav" = ifupdown ] || die "up: --bare VMs have ifupdown only (a minimal server has no NetworkManager or netplan)"
    flavor[i]=$flav
  done
  need_root
  # qemu's QMP socket path (a unix socket) must stay under 108 bytes
  [ ${#VMS_DIR} -le 80 ] || die "up: VMLAB_DIR is too long (at most 76 characters: qemu's QMP socket lives in it)"

  if lab_exists; then
    [ $recreate = 1 ] || die "VM lab '$VMLAB_NAME' already exists (VMLAB_DIR=$VMLAB_DIR); run 'vmlab.sh down' first or use 'vmlab.sh up --recreate $n'"
    cmd_down
  fi
  bash "$HERE/install-tools.sh" --check 2>/dev/null || bash "$HERE/install-tools.sh"
  qemu_works
  if ip -o -4 address show | grep -qE " ${VMLAB_NET//./\\.}\.[01]\.[0-9]+/"; then
    die "$VMLAB_NET.0.0/24 or $VMLAB_NET.1.0/24 is already used on this machine; pick another VMLAB_NET"
  fi

  tb=$EPOCHREALTIME
  img=$(bash "$HERE/build-image.sh" $([ $bare = 0 ] || echo --bare)) || die "up: building the VM image failed"
  say "image $img ready in $(elapsed "$tb") s"

  t0=$EPOCHREALTIME
  trap 'up_failed' EXIT
  rm -rf "$VMS_DIR"
  mkdir -p "$VMS_DIR" "$VMLAB_DIR/keys"
  printf 'VMLAB_NAME=%s\nVMLAB_NET=%s\nVMLAB_IMAGE=%s\n' "$VMLAB_NAME" "$VMLAB_NET" "$img" > "$STATE"
  [ -f "$KEY" ] || ssh-keygen -q -t ed25519 -N '' -C "pulumi-onprem-vmlab-$VMLAB_NAME" -f "$KEY"
  [ $bare = 0 ] || mirror=http://$VMLAB_NET.0.1:$MIRROR_PORT/

  # lab-wide files handed to every VM
  {
    printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n'
    printf '%s\tlab-gateway\n' "$VMLAB_NET.0.1"
    for ((i = 1; i <= n; i++)); do printf '%s\t%s\n' "$VMLAB_NET.0.$((10 + i))" "$VMLAB_NAME$i"; done
  } > "$VMS_DIR/hosts"

  # bridges and taps, one ip process. The bridges' MACs are fixed (from VMLAB_NET): a VM restored
  # from a snapshot still has the management bridge's MAC in its ARP cache.
  {
    echo "link add $BR0 address $(printf '52:54:%02x:%02x:fe:00' "$NET1" "$NET2") type bridge"
    echo "address add $VMLAB_NET.0.1/24 dev $BR0"
    echo "link set $BR0 up"
    echo "link add $BR1 address $(printf '52:54:%02x:%02x:fe:01' "$NET1" "$NET2") type bridge"
    echo "link set $BR1 up"
    for ((i = 1; i <= n; i++)); do
      echo "tuntap add dev ${VMLAB_NAME}t${i}m mode tap"
      echo "link set ${VMLAB_NAME}t${i}m master $BR0 up"
      echo "tuntap add dev ${VMLAB_NAME}t${i}u mode tap"
      echo "link set ${VMLAB_NAME}t${i}u master $BR1 up"
    done
  } | ip -batch - || die "up: creating bridges/taps failed"

  if [ $bare = 1 ]; then
    echo "VMLAB_MIRROR=$mirror" >> "$STATE"
    mirror_start
  fi

  if [ $use_snap = 1 ] && ! [[ $SNAP_ROOT =~ ^[A-Za-z0-9._/+-]+$ ]]; then
    say "snapshots off: their directory $SNAP_ROOT has characters other than letters, digits and ._/+-"; use_snap=0
  fi
  if [ $use_snap = 1 ]; then
    # everything the saved state depends on; the key is its hash
    ktext=$(
      echo "vmlab snapshot 2"   # 2: the full image's services checked before saving (ensure_services)
      declare -f ensure_services; echo "services $FULL_IMAGE_SERVICES"
      echo "image $img $(stat -c '%i:%s:%Y' "$img/base.qcow2" "$img/vmlinuz" "$img/initrd.img" | tr '\n' ' ')"
      echo "lab $VMLAB_NAME net $VMLAB_NET vms $n mem $VMLAB_MEM bare $bare mirror ${mirror:--}"
      echo "flavors ${flavor[*]:0:n}"
      qemu-system-x86_64 --version | head -n 1
      declare -f vm_args
    )
    skey=$(printf '%s\n' "$ktext" | sha256sum | cut -c1-16)
    snap=$SNAP_ROOT/$skey
    if [ -f "$snap/meta" ]; then
      RESTORE_FAILED=" its recorded key differs"
      if [ "$(cat "$snap/meta")" = "$ktext" ] && restore_lab "$snap" "$n" "$img" "$mirror"; then
        write_inventory "$n"
        trap - EXIT
        touch "$snap/meta"
        say "$n VM(s) restored from snapshot ${skey:0:8} in $(elapsed "$t0") s; inventory: $INVENTORY"
        return 0
      fi
      say "snapshot ${skey:0:8} could not be restored (${RESTORE_FAILED# }); discarding it and booting the VMs"
      stop_vms
      rm -rf "$snap"
    fi
  fi

  boot_lab "$n" "$img" "$mirror" "${flavor[@]:0:n}"
  tboot=$(elapsed "$t0")
  if [ $use_snap = 0 ]; then
    write_inventory "$n"
    trap - EXIT
    say "$n VM(s) up after $tboot s; inventory: $INVENTORY"
    return 0
  fi

  ts=$EPOCHREALTIME
  if save_lab "$snap" "$n" "$ktext" && restore_lab "$snap" "$n" "$img" "$mirror"; then
    write_inventory "$n"
    trap - EXIT
    say "$n VM(s) booted in $tboot s; snapshot ${skey:0:8} saved in $(elapsed "$ts") s; inventory: $INVENTORY"
    return 0
  fi
  say "saving snapshot ${skey:0:8} failed; booting the VMs again without one"
  stop_vms
  rm -rf "$snap"
  t0=$EPOCHREALTIME
  boot_lab "$n" "$img" "$mirror" "${flavor[@]:0:n}"
  write_inventory "$n"
  trap - EXIT
  say "$n VM(s) up after $(elapsed "$t0") s (no snapshot); inventory: $INVENTORY"
}

# boot_lab N IMG MIRROR FLAVOR...: fresh identities and disks for N VMs, cold boots them, waits until
# each accepts SSH and has finished booting (dies otherwise)
boot_lab() {
  local n=$1 img=$2 mirror=$3 i h vd mid t0=$EPOCHREALTIME deadline failed=""
  shift 3
  local -a flavor=("$@") waiters=() jobs=()
  : > "$KNOWN_HOSTS"
  for ((i = 1; i <= n; i++)); do
    h=$VMLAB_NAME$i; vd=$VMS_DIR/$h
    rm -rf "$vd"; mkdir -p "$vd"
    echo "${flavor[i-1]}" > "$vd/flavor"
    read -r mid < /proc/sys/kernel/random/uuid; echo "${mid//-/}" > "$vd/machine-id"
    cat "$KEY.pub" > "$vd/authorized_keys"
    ssh-keygen -q -t ed25519 -N '' -C "root@$h" -f "$vd/ssh_host_ed25519_key" & jobs+=($!)
    qemu-img create -q -f qcow2 -F qcow2 -b "$img/base.qcow2" "$vd/disk.qcow2" & jobs+=($!)
  done
  # (not a bare 'wait': the mirror runs in the background too)
  for i in "${jobs[@]}"; do wait "$i" || die "up: making $VMLAB_NAME's keys and disks failed"; done
  for ((i = 1; i <= n; i++)); do
    h=$VMLAB_NAME$i
    printf '%s %s\n' "$VMLAB_NET.0.$((10 + i))" "$(cut -d' ' -f1,2 "$VMS_DIR/$h/ssh_host_ed25519_key.pub")" >> "$KNOWN_HOSTS"
  done
  for ((i = 1; i <= n; i++)); do start_vm "$i" "$img" "$mirror"; done
  say "$n VM(s) started; waiting for SSH (TCG: about a minute)"

  # wait until every VM accepts SSH with its pinned key and has finished booting
  # (first-boot jobs, docker, the flavor's network manager); all VMs at once
  deadline=$((EPOCHSECONDS + BOOT_TIMEOUT))
  for ((i = 1; i <= n; i++)); do wait_vm "$i" "$t0" "$deadline" & waiters+=($!); done
  for ((i = 1; i <= n; i++)); do wait "${waiters[i-1]}" || failed+=" $VMLAB_NAME$i"; done
  [ -z "$failed" ] || die "up: not up:$failed (consoles: $VMS_DIR/VM/serial.log)"
  if [ -z "$mirror" ]; then
    for ((i = 1; i <= n; i++)); do ensure_services "$i" || failed+=" $VMLAB_NAME$i"; done
    [ -z "$failed" ] || die "up: services of the image not running on:$failed"
  fi
}

# The full image's services, running after every boot (the tests expect them so). On a loaded machine
# a start job can time out during boot: ovsdb-server's did, and left openvswitch-switch and
# ovs-vswitchd inactive with no unit failed, so the boot counted as done. They are started again here,
# before a snapshot could keep the lab that way.
FULL_IMAGE_SERVICES="openvswitch-switch docker"
ensure_services() {
  local h=$VMLAB_NAME$1 addr=$VMLAB_NET.0.$((10 + $1)) down
  down=$(ssh $(ssh_opts) "root@$addr" "for s in $FULL_IMAGE_SERVICES; do systemctl is-active --quiet \$s || echo \$s; done" </dev/null) || return 1
  [ -n "$down" ] || return 0
  echo "vmlab.sh: warning: $h booted with $(echo $down) not running; starting it" >&2
  ssh $(ssh_opts) "root@$addr" "systemctl start $(echo $down) && systemctl is-active --quiet $(echo $down)" </dev/null
}

# ---- snapshots -------------------------------------------------------------------
# A snapshot is a booted lab saved by qemu's migration to a file: per VM its memory and device state
# (state.zst), its disk as it was at that moment (disk.qcow2, on the image; never written again: each
# restored VM writes to an overlay of its own on it), its host key, machine-id, flavor and
# authorized_keys; for the lab its key pair, known_hosts and hosts file; meta: the text hashed into
# its name. Written to a temporary directory and renamed, so a half-written one is never used.
SNAP_ROOT=${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-onprem/vmlab/snapshots

# QMP over the VM's socket (python3's standard library): 'save FILE' stops the VM, migrates its
# state into FILE (zstd) and quits qemu; 'running' waits until an incoming VM has loaded, then
# continues it (it was saved stopped)
QMP_PY='
import json, socket, sys, time
sock, mode = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX)
s.settimeout(60)
try: s.connect(sock)
except OSError as e: sys.exit("qmp: %s (qemu ended?)" % e.strerror)
f = s.makefile("rw")
def cmd(name, args=None, ok_errors=()):
    m = {"execute": name}
    if args is not None: m["arguments"] = args
    f.write(json.dumps(m) + "\n"); f.flush()
    while True:
        line = f.readline()
        if not line: sys.exit("qmp %s: qemu closed the connection" % name)
        r = json.loads(line)
        if "event" in r: continue
        if "error" in r: sys.exit("qmp %s: %s" % (name, r["error"].get("desc")))
        return r.get("return")
while "QMP" not in json.loads(f.readline()): pass
cmd("qmp_capabilities")
if mode == "save":
    cmd("stop")
    cmd("migrate-set-parameters", {"max-bandwidth": 1 << 40})
    cmd("migrate", {"uri": "exec:zstd -q -1 > %s" % sys.argv[3]})
    while True:
        st = cmd("query-migrate")
        if st.get("status") == "completed": break
        if st.get("status") in ("failed", "cancelled"):
            try: cmd("cont")
            except SystemExit: pass
            sys.exit("migration %s: %s" % (st.get("status"), st.get("error-desc", "")))
        time.sleep(0.2)
    # wait for its answer: qemu drops the queued commands of a connection that closes
    f.write(json.dumps({"execute": "quit"}) + "\n"); f.flush()
    while True:
        line = f.readline()
        if not line or "return" in json.loads(line): break
elif mode == "running":
    deadline = time.time() + float(sys.argv[3])
    while True:
        st = cmd("query-status")["status"]
        if st == "running": break
        # saved stopped, so loaded stopped: it runs from here
        if st == "paused": cmd("cont"); continue
        if st != "inmigrate": sys.exit("state %s after loading" % st)
        if time.time() > deadline: sys.exit("still loading after %s s" % sys.argv[3])
        time.sleep(0.2)
'
qmp() { python3 -I -c "$QMP_PY" "$@"; }

# stop_vms: ends each VM's qemu (recorded pid, checked against its command line)
stop_vms() {
  local h p pids=() deadline
  for h in $(recorded_vms); do
    p=$(vm_pid "$h") || true
    [ -n "$p" ] && pids+=("$p")
  done
  [ ${#pids[@]} = 0 ] && return 0
  kill -TERM "${pids[@]}" 2>/dev/null || true
  deadline=$((EPOCHSECONDS + 10))
  for p in "${pids[@]}"; do
    while [ -e "/proc/$p" ] && [ "$EPOCHSECONDS" -lt "$deadline" ]; do sleep 0.1; done
    [ -e "/proc/$p" ] && kill -KILL "$p" 2>/dev/null || true
  done
  for p in "${pids[@]}"; do
    while [ -e "/proc/$p" ]; do sleep 0.1; done
  done
}

# save_lab SNAP N KEYTEXT: saves the running, booted lab as snapshot SNAP; its VMs' qemu end
save_lab() {
  local snap=$1 n=$2 ktext=$3 tmp i h vd p d failed="" q k
  local -a savers=()
  mkdir -p "$SNAP_ROOT"
  # what killed runs left, and snapshots of images since removed or of an earlier lab of this name
  for d in "$SNAP_ROOT"/.tmp-*; do
    [ -d "$d" ] && [ ! -e "/proc/${d##*-}" ] && rm -rf "$d"
  done
  for d in "$SNAP_ROOT"/*/; do
    d=${d%/}; [ -f "$d/meta" ] || continue
    q=$(sed -n 's/^image \([^ ]*\) .*/\1/p' "$d/meta")
    if [ ! -d "$q" ] || grep -qx "lab $VMLAB_NAME net $VMLAB_NET .*" "$d/meta"; then rm -rf "$d"; fi
  done
  tmp=$SNAP_ROOT/.tmp-$BASHPID
  rm -rf "$tmp"; mkdir -p "$tmp/keys"
  for ((i = 1; i <= n; i++)); do
    h=$VMLAB_NAME$i; vd=$VMS_DIR/$h
    mkdir "$tmp/$h"
    p=$(vm_pid "$h") || { say "$h: qemu is not running"; return 1; }
    { qmp "$vd/qmp.sock" save "$tmp/$h/state.zst" || exit 1
      for ((k = 0; k < 300; k++)); do [ -e "/proc/$p" ] || exit 0; sleep 0.1; done
      say "$h: qemu did not quit after saving"; exit 1; } &
    savers+=($!)
  done
  for ((i = 1; i <= n; i++)); do wait "${savers[i-1]}" || failed+=" $VMLAB_NAME$i"; done
  [ -z "$failed" ] || { say "saving the state of$failed failed"; rm -rf "$tmp"; return 1; }
  for ((i = 1; i <= n; i++)); do
    h=$VMLAB_NAME$i; vd=$VMS_DIR/$h
    mv "$vd/disk.qcow2" "$tmp/$h/disk.qcow2"
    cp -p "$vd/ssh_host_ed25519_key" "$vd/ssh_host_ed25519_key.pub" "$vd/machine-id" "$vd/flavor" \
      "$vd/authorized_keys" "$tmp/$h/"
  done
  cp -p "$KEY" "$KEY.pub" "$tmp/keys/"
  cp -p "$KNOWN_HOSTS" "$VMS_DIR/hosts" "$tmp/"
  printf '%s\n' "$ktext" > "$tmp/meta"
  rm -rf "$snap"
  mv -T "$tmp" "$snap" || { rm -rf "$tmp"; return 1; }
}

# restore_lab SNAP N IMG MIRROR: the lab's identities from SNAP, and each VM started from its saved
# state on a fresh overlay of its saved disk; sets each VM's clock; 0 when all answer SSH
restore_lab() {
  local snap=$1 n=$2 img=$3 mirror=$4 i h vd failed=""
  local -a waiters=()
  RESTORE_FAILED=""
  for ((i = 1; i <= n; i++)); do
    [ -f "$snap/$VMLAB_NAME$i/state.zst" ] && [ -f "$snap/$VMLAB_NAME$i/disk.qcow2" ] \
      || { RESTORE_FAILED=" $VMLAB_NAME$i (missing)"; return 1; }
  done
  cp -p "$snap/keys/id_ed25519" "$KEY"; cp -p "$snap/keys/id_ed25519.pub" "$KEY.pub"
  cp -p "$snap/known_hosts" "$KNOWN_HOSTS"; cp -p "$snap/hosts" "$VMS_DIR/hosts"
  for ((i = 1; i <= n; i++)); do
    h=$VMLAB_NAME$i; vd=$VMS_DIR/$h
    rm -rf "$vd"; mkdir -p "$vd"
    cp -p "$snap/$h/ssh_host_ed25519_key" "$snap/$h/ssh_host_ed25519_key.pub" "$snap/$h/machine-id" \
      "$snap/$h/flavor" "$snap/$h/authorized_keys" "$vd/"
    qemu-img create -q -f qcow2 -F qcow2 -b "$snap/$h/disk.qcow2" "$vd/disk.qcow2" || { RESTORE_FAILED=" $h (disk)"; return 1; }
    start_vm "$i" "$img" "$mirror" "exec:zstd -dcq $snap/$h/state.zst" || { RESTORE_FAILED=" $h (qemu did not start)"; return 1; }
  done
  for ((i = 1; i <= n; i++)); do restore_wait "$i" & waiters+=($!); done
  for ((i = 1; i <= n; i++)); do wait "${waiters[i-1]}" || failed+=" $VMLAB_NAME$i"; done
  [ -z "$failed" ] || { RESTORE_FAILED=$failed; return 1; }
}

# restore_wait I: VM I has loaded its state and runs; its clock (which stood still since the
# save) set to the machine's over SSH, within 90 s
restore_wait() {
  local i=$1 h=$VMLAB_NAME$1 addr=$VMLAB_NET.0.$((10 + $1)) before now after err
  err=$(qmp "$VMS_DIR/$h/qmp.sock" running 90 2>&1) || { say "$h: qemu did not load its saved state: $err"; return 1; }
  # the guest says it is ready, then the machine's time is sent and set at once: the SSH
  # handshake (seconds under TCG) does not count
  coproc CLOCK { timeout 90 ssh $(ssh_opts) "root@$addr" 'date +%s.%N; read -r t; date -s "@$t" >/dev/null && date +%s.%N' 2>&1; }
  read -r -t 90 before <&"${CLOCK[0]}" && [[ $before =~ ^[0-9]+\.[0-9]+$ ]] \
    || { say "$h: no SSH after restore: $before"; return 1; }
  now=$EPOCHREALTIME
  echo "$now" >&"${CLOCK[1]}"
  read -r -t 30 after <&"${CLOCK[0]}" && [[ $after =~ ^[0-9]+\.[0-9]+$ ]] || { say "$h: setting the clock failed: $after"; return 1; }
  err=$(( $(to_ms "$EPOCHREALTIME") - $(to_ms "$after") ))
  say "$h restored; clock set (it was $(( ($(to_ms "$now") - $(to_ms "$before")) / 1000 )) s behind; now ${err#-} ms off)"
}
to_ms() { local f=${1#*.}000; echo $(( ${1%.*} * 1000 + 10#${f:0:3} )); }

# wait_vm I T0 DEADLINE: VM I accepts SSH, then has finished booting; says when
wait_vm() {
  local i=$1 t0=$2 deadline=$3 h=$VMLAB_NAME$1 addr=$VMLAB_NET.0.$((10 + $1)) state
  while :; do
    [ -n "$(vm_pid "$h")" ] || { echo "vmlab.sh: qemu of $h died; its console:" >&2; tail -n 20 "$VMS_DIR/$h/serial.log" >&2; return 1; }
    # sshd listens (cheap to try), then accepts the lab key with the pinned host key
    timeout 3 bash -c 'exec 3<>"/dev/tcp/$1/22"' _ "$addr" 2>/dev/null \
      && timeout 120 ssh $(ssh_opts) "root@$addr" true </dev/null 2>/dev/null && break
    [ "$EPOCHSECONDS" -lt "$deadline" ] || { echo "vmlab.sh: $h: no SSH within ${BOOT_TIMEOUT}s" >&2; return 1; }
    sleep 2
  done
  say "$h accepts SSH after $(elapsed "$t0") s"
  state=$(timeout $((deadline - EPOCHSECONDS > 60 ? deadline - EPOCHSECONDS : 60)) \
    ssh $(ssh_opts) "root@$addr" systemctl is-system-running --wait </dev/null 2>&1) || true
  case $state in
    running) say "$h booted after $(elapsed "$t0") s" ;;
    degraded) echo "vmlab.sh: warning: $h booted after $(elapsed "$t0") s, degraded; failed units: $(ssh $(ssh_opts) "root@$addr" systemctl --failed --no-legend --plain </dev/null 2>&1 | cut -d' ' -f1 | tr '\n' ' ')" >&2 ;;
    *) echo "vmlab.sh: $h did not finish booting: $state" >&2; return 1 ;;
  esac
}

# fails plainly when qemu cannot run a guest here
qemu_works() {
  command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 is not installed (vmlab.sh install)"
  local out
  # an empty machine, told to quit at once over QMP: it starts and stops by itself
  out=$(printf '{"execute":"qmp_capabilities"}\n{"execute":"quit"}\n' \
    | timeout 20 qemu-system-x86_64 -accel tcg -machine none -nodefaults -display none -monitor none -qmp stdio 2>&1) \
    && return 0
  die "qemu cannot run here: $out"
}

# vm_args I IMG MIRROR: VM I's qemu arguments, into QEMU_ARGS. They are part of a snapshot's key (this
# function's text): a saved state loads only into the same machine and devices.
vm_args() {
  local i=$1 img=$2 mirror=$3 h=$VMLAB_NAME$1 vd=$VMS_DIR/$VMLAB_NAME$1 mid flav
  local addr=$VMLAB_NET.0.$((10 + i))
  read -r mid < "$vd/machine-id"; read -r flav < "$vd/flavor"
  # romfile=: no PXE option ROM (direct kernel boot needs none)
  QEMU_ARGS=(qemu-system-x86_64 -name "$h,process=qemu-$h" -nodefaults -machine pc
    -accel tcg,tb-size=256 -cpu max -smp 1 -m "$VMLAB_MEM"
    -kernel "$img/vmlinuz" -initrd "$img/initrd.img"
    -append "root=/dev/vda rw console=ttyS0 net.ifnames=0 apparmor=0 mitigations=off fsck.mode=skip systemd.machine_id=$mid vmlab.host=$h vmlab.ip=$addr/24 vmlab.net=$flav${mirror:+ vmlab.mirror=$mirror}"
    -drive "file=$vd/disk.qcow2,if=virtio,format=qcow2,cache=unsafe"
    -netdev "tap,id=m,ifname=${VMLAB_NAME}t${i}m,script=no,downscript=no"
    -device "virtio-net-pci,netdev=m,mac=$(printf '52:54:%02x:%02x:00:%02x' "$NET1" "$NET2" "$i"),romfile="
    -netdev "tap,id=u,ifname=${VMLAB_NAME}t${i}u,script=no,downscript=no"
    -device "virtio-net-pci,netdev=u,mac=$(printf '52:54:%02x:%02x:01:%02x' "$NET1" "$NET2" "$i"),romfile="
    -device virtio-rng-pci
    -fw_cfg "name=opt/vmlab/hostkey,file=$vd/ssh_host_ed25519_key"
    -fw_cfg "name=opt/vmlab/hostkey.pub,file=$vd/ssh_host_ed25519_key.pub"
    -fw_cfg "name=opt/vmlab/authorized_keys,file=$vd/authorized_keys"
    -fw_cfg "name=opt/vmlab/hosts,file=$VMS_DIR/hosts"
    -display none -serial "file:$vd/serial.log" -monitor none
    -qmp "unix:$vd/qmp.sock,server=on,wait=off"
    -daemonize -pidfile "$vd/qemu.pid")
}

# start_vm I IMG MIRROR [INCOMING]: starts VM I's qemu (a cold boot, or with INCOMING, qemu's
# -incoming URI: the VM's saved state). Its machine-id, flavor, keys and disk are in its directory.
start_vm() {
  local vd=$VMS_DIR/$VMLAB_NAME$1 h=$VMLAB_NAME$1
  vm_args "$1" "$2" "$3"
  [ -z "${4:-}" ] || QEMU_ARGS+=(-incoming "$4")
  rm -f "$vd/serial.log" "$vd/qemu.pid" "$vd/qmp.sock"
  # -daemonize: qemu detaches and writes its own pid; 8>&-: not our lock
  "${QEMU_ARGS[@]}" </dev/null >"$vd/qemu.log" 2>&1 8>&- \
    || { cat "$vd/qemu.log" >&2; say "qemu for $h did not start"; return 1; }
}

up_failed() {
  local rc=$?
  trap - EXIT
  echo "vmlab.sh: up failed; tearing the partial lab down" >&2
  cmd_down >&2 || true
  exit $((rc == 0 ? 1 : rc))
}

write_inventory() {
  local n=$1 i h a b tmp=$INVENTORY.tmp pid
  # every value is made by the lab (names, addresses, checked paths, base64
  # keys): no JSON escaping needed
  {
    printf '{\n  "kind": "vm",\n  "name": "%s",\n' "$VMLAB_NAME"
    [ -z "$(state_value VMLAB_MIRROR)" ] || printf '  "bare": true,\n  "mirror": "%s",\n' "$(state_value VMLAB_MIRROR)"
    printf '  "managementBridge": "%s",\n  "underlayBridge": "%s",\n' "$BR0" "$BR1"
    printf '  "managementNetwork": "%s",\n  "managementGateway": "%s",\n' "$VMLAB_NET.0.0/24" "$VMLAB_NET.0.1"
    printf '  "underlayNetwork": "%s",\n' "$VMLAB_NET.1.0/24"
    printf '  "privateKeyPath": "%s",\n  "hosts": [' "$KEY"
    for ((i = 1; i <= n; i++)); do
      h=$VMLAB_NAME$i
      read -r a b _ < "$VMS_DIR/$h/ssh_host_ed25519_key.pub"
      read -r pid < "$VMS_DIR/$h/qemu.pid"
      [ "$i" = 1 ] || printf ','
      printf '\n    { "name": "%s", "address": "%s", "port": 22, "user": "root",\n' "$h" "$VMLAB_NET.0.$((10 + i))"
      printf '      "users": { "sudo": "ops", "unprivileged": "guest" },\n'
      printf '      "privateKeyPath": "%s",\n' "$KEY"
      printf '      "hostPublicKey": "%s %s",\n' "$a" "$b"
      printf '      "managementInterface": "eth0", "secondInterface": "eth1",\n'
      printf '      "underlayAddress": "%s", "netFlavor": "%s", "qemuPid": %s }' \
        "$VMLAB_NET.1.$((10 + i))/24" "$(cat "$VMS_DIR/$h/flavor")" "$pid"
    done
    printf '\n  ]\n}\n'
  } > "$tmp"
  mv "$tmp" "$INVENTORY"
}

# ---- down ------------------------------------------------------------------------
cmd_down() {
  need_root
  local batch="" t
  # 1. each VM's qemu, by its recorded pid, while it still is that VM's qemu
  stop_vms
  mirror_stop
  # 2. taps and bridges (a tap still held by some process stays: say so)
  for t in $(lab_taps); do batch+="link del $t"$'\n'; done
  link_exists "$BR0" && batch+="link del $BR0"$'\n'
  link_exists "$BR1" && batch+="link del $BR1"$'\n'
  [ -z "$batch" ] || printf '%s' "$batch" | ip -force -batch - \
    || echo "vmlab.sh: warning: some links could not be removed" >&2
  # 3. files; the key pair stays (one per lab, reused by the next 'up')
  rm -rf "$VMS_DIR" "$INVENTORY" "$INVENTORY.tmp" "$KNOWN_HOSTS" "$STATE"
  say "VM lab '$VMLAB_NAME' is down"
}

# ---- the bare lab's package mirror -------------------------------------------------
state_value() { [ -f "$STATE" ] && sed -n "s/^$1=//p" "$STATE" | tail -1; return 0; }
mirror_pid() {
  local p args
  read -r p 2>/dev/null < "$VMLAB_DIR/mirror.pid" || return 1
  [ -r "/proc/$p/cmdline" ] || return 1
  mapfile -d '' args < "/proc/$p/cmdline" 2>/dev/null || return 1
  [[ " ${args[*]} " == *" httpd "* ]] && [[ " ${args[*]} " == *" $VMLAB_NET.0.1:$MIRROR_PORT "* ]] && echo "$p"
}
mirror_start() {
  local img dir
  img=$(state_value VMLAB_IMAGE); dir=$img/mirror
  [ -n "$(state_value VMLAB_MIRROR)" ] && [ -d "$dir/dists" ] || die "mirror: lab '$VMLAB_NAME' is not a bare lab (vmlab.sh up --bare)"
  mirror_pid >/dev/null && { say "mirror already runs"; return 0; }
  # -f: stays in the foreground of this background job, so its pid is the one recorded
  busybox httpd -f -p "$VMLAB_NET.0.1:$MIRROR_PORT" -h "$dir" -vv </dev/null >>"$VMLAB_DIR/mirror.log" 2>&1 8>&- &
  echo $! > "$VMLAB_DIR/mirror.pid"
  local i
  for ((i = 0; i < 50; i++)); do
    timeout 2 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$VMLAB_NET.0.1" "$MIRROR_PORT" 2>/dev/null && { say "mirror serves $dir at $(state_value VMLAB_MIRROR)"; return 0; }
    sleep 0.1
  done
  die "mirror: busybox httpd did not answer on $VMLAB_NET.0.1:$MIRROR_PORT (log: $VMLAB_DIR/mirror.log)"
}
mirror_stop() {
  local p
  p=$(mirror_pid) || { rm -f "$VMLAB_DIR/mirror.pid"; return 0; }
  kill -TERM "$p" 2>/dev/null || true
  while [ -e "/proc/$p" ]; do sleep 0.1; done
  rm -f "$VMLAB_DIR/mirror.pid"
  say "mirror stopped"
}
cmd_mirror() {
  need_root
  case ${1:-} in
    start) mirror_start ;;
    stop) mirror_stop ;;
    status) if p=$(mirror_pid); then echo "mirror runs (pid $p): $(state_value VMLAB_MIRROR)"; else echo "mirror not running"; return 1; fi ;;
    *) die "usage: vmlab.sh mirror start|stop|status" ;;
  esac
}

# ---- status ------------------------------------------------------------------------
cmd_status() {
  local h i addr pid sshd rc=0 vms flav tmp
  if ! lab_exists; then echo "no VM lab '$VMLAB_NAME' (VMLAB_DIR=$VMLAB_DIR)"; return 3; fi
  vms=$(recorded_vms)
  echo "VM lab '$VMLAB_NAME' in $VMLAB_DIR: management $BR0 $VMLAB_NET.0.0/24 (machine $VMLAB_NET.0.1), underlay $BR1"
  # all SSH checks at once: a handshake can take seconds under TCG
  tmp=$(mktemp -d)
  for h in $vms; do
    i=${h#"$VMLAB_NAME"}
    { [ -s "$KNOWN_HOSTS" ] && timeout 60 ssh $(ssh_opts) "root@$VMLAB_NET.0.$((10 + i))" true </dev/null >/dev/null 2>&1 \
        && echo answers || echo "no answer"; } > "$tmp/$h" &
  done
  wait
  printf '%-8s %-15s %-9s %-15s %s\n' VM ADDRESS QEMU NET SSHD
  for h in $vms; do
    i=${h#"$VMLAB_NAME"}; addr=$VMLAB_NET.0.$((10 + i))
    flav=$(cat "$VMS_DIR/$h/flavor" 2>/dev/null || echo '?')
    pid=$(vm_pid "$h") || { pid="not running"; rc=1; }
    sshd=$(cat "$tmp/$h"); [ "$sshd" = answers ] || rc=1
    printf '%-8s %-15s %-9s %-15s %s\n' "$h" "$addr" "$pid" "$flav" "$sshd"
  done
  rm -rf "$tmp"
  [ -n "$vms" ] || { echo "(no VMs recorded)"; rc=1; }
  if [ -f "$INVENTORY" ]; then echo "inventory: $INVENTORY"; else echo "inventory: (none)"; rc=1; fi
  return $rc
}

# ---- power-cycle ---------------------------------------------------------------------
# A power loss, not a shutdown: the guest gets no signal and loses what it had not written to its disk
# (the drive's cache=unsafe only skips the machine's own fsync; what the guest wrote reached qemu). The
# same arguments again: same disk, taps, kernel command line and machine-id, so the VM boots as itself.
cmd_power_cycle() {
  need_root
  [ $# = 1 ] || die "usage: vmlab.sh power-cycle VM"
  local h=$1 p vd args k
  [[ $h =~ ^[0-9]+$ ]] && h=$VMLAB_NAME$h
  vd=$VMS_DIR/$h
  [[ $h =~ ^${VMLAB_NAME}[0-9]+$ ]] && [ -d "$vd" ] || die "power-cycle: no VM '$h' in lab '$VMLAB_NAME' (VMLAB_DIR=$VMLAB_DIR)"
  p=$(vm_pid "$h") || die "power-cycle: $h's qemu is not running"
  mapfile -d '' args < "/proc/$p/cmdline"
  # a VM restored from a snapshot boots from its disk now, not from the saved state
  for ((k = 0; k < ${#args[@]}; k++)); do
    [ "${args[k]}" = -incoming ] && { args=("${args[@]:0:k}" "${args[@]:k+2}"); break; }
  done
  kill -KILL "$p"
  while [ -e "/proc/$p" ]; do sleep 0.05; done
  say "$h: power cut (qemu $p killed)"
  [ ! -f "$vd/serial.log" ] || mv -f "$vd/serial.log" "$vd/serial.log.1"
  "${args[@]}" </dev/null >"$vd/qemu.log" 2>&1 8>&- || { cat "$vd/qemu.log" >&2; die "power-cycle: qemu for $h did not start again"; }
  p=$(vm_pid "$h") || die "power-cycle: $h's qemu did not record its pid"
  [ ! -f "$INVENTORY" ] || write_inventory "$(recorded_vms | wc -l)"
  say "$h: started again (qemu $p)"
}

# ---- exec --------------------------------------------------------------------------
cmd_exec() {
  [ $# -ge 1 ] || die "usage: vmlab.sh exec VM [--] CMD..."
  local h=$1 i; shift
  [[ $h =~ ^[0-9]+$ ]] && h=$VMLAB_NAME$h
  [[ $h =~ ^${VMLAB_NAME}([0-9]+)$ ]] && [ -d "$VMS_DIR/$h" ] || die "exec: no VM '$h' in lab '$VMLAB_NAME' (VMLAB_DIR=$VMLAB_DIR)"
  i=${BASH_REMATCH[1]}
  [ "${1:-}" = -- ] && shift
  local tty=-T
  if [ $# = 0 ]; then set -- bash -l; tty=-t; fi
  # ssh joins its arguments into one command line for the remote shell: quote
  # each, so CMD arrives as the words given here
  exec ssh $(ssh_opts) $tty "root@$VMLAB_NET.0.$((10 + i))" -- "$(printf '%q ' "$@")"
}

# ---- main ------------------------------------------------------------------------
cmd=${1:-}; [ $# -gt 0 ] && shift
case $cmd in
  up|down|power-cycle)
    mkdir -p "$VMLAB_DIR"
    exec 8>>"$VMLAB_DIR/.lock"
    flock 8 ;;
esac
case $cmd in
  up) cmd_up "$@" ;;
  down) [ $# = 0 ] || die "down takes no arguments"; cmd_down ;;
  status) cmd_status ;;
  power-cycle) cmd_power_cycle "$@" ;;
  exec) cmd_exec "$@" ;;
  build) cmd_build "$@" ;;
  mirror) cmd_mirror "$@" ;;
  install) cmd_install ;;
  -h|--help|help) usage ;;
  *) usage >&2; exit 2 ;;
esac
