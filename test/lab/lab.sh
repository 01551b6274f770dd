#!/bin/bash
# The pulumi-onprem network-namespace test lab: N throw-away "hosts" on this
# machine, each a network namespace plus its own mount, UTS, IPC and PID
# namespaces, reachable over SSH like a real server.
#
#   lab.sh up [--recreate] [N]    create N hosts (default 3), write the inventory
#   lab.sh down                   remove everything the lab created
#   lab.sh status                 hosts, whether their sshd answers, inventory path
#                                 (exit 0: all up, 1: something is wrong, 3: no lab)
#   lab.sh exec HOST [--] CMD...  run CMD inside HOST's namespaces, without SSH
#                                 (HOST: a name such as op2, or just 2)
#   lab.sh install                install the Debian packages the lab needs
#
# Environment:
#   LAB_DIR   work directory (default /tmp/pulumi-onprem-lab)
#   LAB_NAME  prefix of namespaces, bridges and host names: 1-4 of [a-z0-9],
#             first and last a letter (default op)
#   LAB_NET   first two octets of the lab's networks (default 10.77)
#
# Layout (defaults): bridge opbr0 = management net 10.77.0.0/24, the machine is
# 10.77.0.1, host opN is 10.77.0.(10+N) on its eth0. Bridge opbr1 = underlay for
# tunnels, no address on the machine; each host's eth1 is on it, up, without an
# address (the inventory suggests 10.77.1.(10+N)/24). The lab never uses .100 and
# up in either net: free for VIPs and the like in tests.
#
# Each host sees the machine's files, with private copy-on-write /etc /var /opt
# /home /srv /usr/local /root (its writes land in LAB_DIR/hosts/HOST/upper) and
# private /run /tmp /dev/shm. Users: root, ops (passwordless sudo), guest (no
# sudo), all logging in with the lab's key LAB_DIR/keys/id_ed25519 (kept across
# runs). systemctl in a host is the shim in shim/systemctl.
set -euo pipefail
umask 022

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
MAX_HOSTS=89                       # .11-.99: keeps .100-.254 free for tests
SSH_WAIT=15                        # s to wait for all sshds at 'up'
CLEAN_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
OVERLAID=(/etc /var /opt /home /srv /usr/local /root)   # per-host copy-on-write

die() { echo "lab.sh: $*" >&2; exit 1; }
say() { echo "lab.sh: $*"; }
usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"; }

# ---- configuration --------------------------------------------------------
# An explicitly set LAB_NAME/LAB_NET must match the lab recorded in LAB_DIR, so
# that 'down' never removes another lab than the one meant.
ENV_NAME=${LAB_NAME-}; ENV_NET=${LAB_NET-}
LAB_DIR=${LAB_DIR:-/tmp/pulumi-onprem-lab}
[[ $LAB_DIR == /* ]] || LAB_DIR=$PWD/$LAB_DIR
[[ $LAB_DIR =~ ^[A-Za-z0-9._/+-]+$ ]] || die "LAB_DIR '$LAB_DIR': only letters, digits and ._/+- please (it goes into mount options)"
LAB_NAME=${LAB_NAME:-op}
LAB_NET=${LAB_NET:-10.77}
STATE=$LAB_DIR/lab.env
if [ -f "$STATE" ]; then
  rec_name=$LAB_NAME; rec_net=$LAB_NET
  while IFS='=' read -r k v; do
    case $k in LAB_NAME) rec_name=$v ;; LAB_NET) rec_net=$v ;; esac
  done < "$STATE"
  [ -z "$ENV_NAME" ] || [ "$ENV_NAME" = "$rec_name" ] \
    || die "$LAB_DIR holds lab '$rec_name', not '$ENV_NAME' (use another LAB_DIR)"
  [ -z "$ENV_NET" ] || [ "$ENV_NET" = "$rec_net" ] \
    || die "$LAB_DIR holds lab '$rec_name' on $rec_net, not $ENV_NET (use another LAB_DIR)"
  LAB_NAME=$rec_name; LAB_NET=$rec_net
fi
[[ $LAB_NAME =~ ^[a-z]([a-z0-9]{0,2}[a-z])?$ ]] \
  || die "LAB_NAME '$LAB_NAME': 1-4 of [a-z0-9], first and last a letter (interface names must stay under 15 characters)"
[[ $LAB_NET =~ ^([0-9]{1,3})\.([0-9]{1,3})$ ]] && [ "${BASH_REMATCH[1]}" -le 255 ] && [ "${BASH_REMATCH[2]}" -le 255 ] \
  || die "LAB_NET '$LAB_NET': expected two octets such as 10.77"

BR0=${LAB_NAME}br0                 # management bridge
BR1=${LAB_NAME}br1                 # underlay bridge
HOSTS_DIR=$LAB_DIR/hosts
BASE=$LAB_DIR/base                 # lab-wide lower layers, shared by all hosts
KEY=$LAB_DIR/keys/id_ed25519
INVENTORY=$LAB_DIR/inventory.json

# ---- helpers: bash builtins wherever they run per host or in a polling loop;
# ---- starting a process costs 5-20 ms on a small busy machine

# hosts recorded in LAB_DIR, in order: op1 op2 ... op10
recorded_hosts() {
  local d nums=()
  for d in "$HOSTS_DIR"/"$LAB_NAME"*; do
    [[ ${d##*/} =~ ^${LAB_NAME}([0-9]+)$ ]] && nums[BASH_REMATCH[1]]=1
  done
  for d in "${!nums[@]}"; do echo "$LAB_NAME$d"; done    # indexed arrays iterate in order
}
# network namespaces named like this lab's hosts (recorded or not)
lab_netns() {
  local f
  for f in /run/netns/"$LAB_NAME"*; do
    [[ ${f##*/} =~ ^${LAB_NAME}[0-9]+$ ]] && echo "${f##*/}"
  done
  return 0
}
link_exists() { [ -e "/sys/class/net/$1" ]; }   # in the machine's namespace
lab_exists() { [ -f "$STATE" ] || link_exists "$BR0" || link_exists "$BR1" || [ -n "$(lab_netns)" ]; }

need_root() { [ "$EUID" = 0 ] || die "must run as root (namespaces, bridges, mounts)"; }

# is PID the unshare process lab.sh started for HOST?
is_host_unshare() {
  local args
  [ -r "/proc/$1/cmdline" ] || return 1
  mapfile -d '' args < "/proc/$1/cmdline" 2>/dev/null || return 1
  [ "${args[0]:-}" = unshare ] && [[ " ${args[*]} " == *"/host-init.sh $2 "* ]]
}

# does something in the netns of PID listen on ADDRESS:22? (reads the netns's
# /proc/PID/net/tcp: no process start, no connection attempt)
sshd_listens() {
  local pid=$1 a b c d hex_le hex_be tcp=""
  IFS=. read -r a b c d <<< "$2"
  printf -v hex_le '%02X%02X%02X%02X' "$d" "$c" "$b" "$a"
  printf -v hex_be '%02X%02X%02X%02X' "$a" "$b" "$c" "$d"
  IFS= read -r -d '' tcp 2>/dev/null < "/proc/$pid/net/tcp" || true
  [[ $tcp == *" $hex_le:0016 00000000:0000 0A "* || $tcp == *" $hex_be:0016 00000000:0000 0A "* ]]
}

# proc_state PID: running | zombie | gone
proc_state() {
  local stat
  IFS= read -r stat 2>/dev/null < "/proc/$1/stat" || { echo gone; return; }
  stat=${stat##*) }                      # after "pid (comm) "; comm may hold spaces
  case ${stat:0:1} in Z|X) echo zombie ;; *) echo running ;; esac
}

# is PID (still) the PID 1 of some PID namespace? (guards against a recycled pid)
is_ns_init() {
  local k v
  while IFS=$'\t' read -r k v; do
    [ "$k" = NSpid: ] && { [[ $v == *$'\t1' ]]; return; }
  done 2>/dev/null < "/proc/$1/status"
  return 1
}

ppid_of() {
  local k v
  while IFS=$'\t' read -r k v; do [ "$k" = PPid: ] && { echo "$v"; return; }; done 2>/dev/null < "/proc/$1/status"
}

# tcp_answers ADDRESS...: each accepts a TCP connection on port 22 (one process
# for all; the timeout covers an address nobody answers ARP for)
tcp_answers() {
  timeout 5 bash -c 'for a; do exec 3<>"/dev/tcp/$a/22" && exec 3>&- || exit 1; done' _ "$@" 2>/dev/null
}

elapsed() { local us=$(( ${EPOCHREALTIME/./} - ${1/./} )); printf '%d.%02d' $((us / 1000000)) $((us % 1000000 / 10000)); }

# ---- install ----------------------------------------------------------------
cmd_install() { need_root; bash "$HERE/install-packages.sh"; }

# ---- up: lab-wide files -------------------------------------------------------
# The base layers sit between a host's upper layer and the machine's files:
#   base/etc   passwd/group/shadow/gshadow with ops and guest, sudoers.d/ops,
#              /etc/hosts for all hosts, whiteouts hiding the machine's SSH host
#              keys, the shim's "ssh is enabled" marker
#   base/home  ops and guest with /etc/skel and the lab key
#   base/root  /root of every host: stock Debian dotfiles (the machine's own
#              /root, with its slow .bashrc and tool set-ups, stays out) and the
#              lab key
# Made once per 'up' instead of running useradd in every host.
prepare_base() {
  local n=$1 i u d id days name x num rest pubkey root_locked=0
  local -A uid_of=() used=()
  rm -rf "$BASE"
  mkdir -p "$BASE"/etc/{ssh,sudoers.d,lab-systemd/enabled} "$BASE"/root/.ssh "$BASE"/home \
    "$LAB_DIR/keys" "$LAB_DIR/bin"
  [ -f "$KEY" ] || ssh-keygen -q -t ed25519 -N '' -C "pulumi-onprem-lab-$LAB_NAME" -f "$KEY"
  read -r pubkey < "$KEY.pub"
  cp "$HERE/shim/systemctl" "$LAB_DIR/bin/systemctl"
  cp -p /etc/passwd /etc/group /etc/shadow /etc/gshadow "$BASE/etc/"
  cp /usr/share/base-files/dot.bashrc "$BASE/root/.bashrc"
  cp /usr/share/base-files/dot.profile "$BASE/root/.profile"

  # ops and guest as useradd would make them (first id >= 1000 free as uid and
  # gid), without running useradd in every host
  while IFS=: read -r name x num rest; do uid_of[$name]=$num; used[$num]=1; done < /etc/passwd
  while IFS=: read -r name x num rest; do used[$num]=1; done < /etc/group
  days=$((EPOCHSECONDS / 86400)); id=1000
  for u in ops guest; do
    if [ -n "${uid_of[$u]:-}" ]; then
      grep -q "^$u:[^:]*:[0-9]*:[0-9]*:[^:]*:/home/$u:" /etc/passwd \
        || die "user $u exists on this machine with a home other than /home/$u"
      continue
    fi
    while [ -n "${used[$id]:-}" ]; do id=$((id + 1)); done
    used[$id]=1; uid_of[$u]=$id
    echo "$u:x:$id:$id::/home/$u:/bin/bash" >> "$BASE/etc/passwd"
    echo "$u:x:$id:" >> "$BASE/etc/group"
    echo "$u:!::" >> "$BASE/etc/gshadow"
    # "*": no usable password, but not "!" (locked): without PAM, OpenSSH
    # refuses key logins to locked accounts
    echo "$u:*:$days:0:99999:7:::" >> "$BASE/etc/shadow"
  done
  while IFS=: read -r name x rest; do
    [ "$name" = root ] && [[ $x == '!'* ]] && root_locked=1
  done < /etc/shadow
  [ $root_locked = 0 ] || sed -i 's/^root:![^:]*:/root:*:/' "$BASE/etc/shadow"
  echo 'ops ALL=(ALL) NOPASSWD:ALL' > "$BASE/etc/sudoers.d/ops"
  : > "$BASE/etc/lab-systemd/enabled/ssh"          # for the shim: ssh is enabled
  {
    printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n'
    printf '%s\tlab-gateway\n' "$LAB_NET.0.1"
    for ((i = 1; i <= n; i++)); do printf '%s\t%s\n' "$LAB_NET.0.$((10 + i))" "$LAB_NAME$i"; done
  } > "$BASE/etc/hosts"

  # homes: /etc/skel (root: stock dotfiles) plus the lab key
  cp -a /etc/skel "$BASE/home/ops"; cp -a /etc/skel "$BASE/home/guest"
  mkdir "$BASE/home/ops/.ssh" "$BASE/home/guest/.ssh"
  for d in "$BASE/root" "$BASE/home/ops" "$BASE/home/guest"; do
    echo "$pubkey" > "$d/.ssh/authorized_keys"
  done
  chown -R "${uid_of[ops]}:${uid_of[ops]}" "$BASE/home/ops"
  chown -R "${uid_of[guest]}:${uid_of[guest]}" "$BASE/home/guest"
  chmod 0700 "$BASE/root" "$BASE/root/.ssh" "$BASE/home/ops/.ssh" "$BASE/home/guest/.ssh"
  chmod 0600 "$BASE/root/.ssh/authorized_keys" "$BASE"/home/{ops,guest}/.ssh/authorized_keys
  chmod 0750 "$BASE/etc/sudoers.d" "$BASE/home/ops" "$BASE/home/guest"
  chmod 0440 "$BASE/etc/sudoers.d/ops"
  chmod 0755 "$LAB_DIR/bin/systemctl"

  # whiteouts (0/0 character devices) hide the machine's own SSH host keys
  for i in /etc/ssh/ssh_host_*; do [ -e "$i" ] && mknod "$BASE$i" c 0 0 & done
  wait
}

# ---- up: per-host files (written into the host's upper layers before it starts)
prepare_host() {
  local i=$1 h=$LAB_NAME$1 addr=$LAB_NET.0.$((10 + $1)) hd=$HOSTS_DIR/$LAB_NAME$1 uuid
  echo "$addr" > "$hd/address"
  echo "$h" > "$hd/upper/etc/hostname"
  read -r uuid < /proc/sys/kernel/random/uuid
  echo "${uuid//-/}" > "$hd/upper/etc/machine-id"      # OVS and others key on it
  printf '%s\n' > "$hd/upper/etc/ssh/sshd_config" \
    "# lab host $h: management address only, keys only" \
    "ListenAddress $addr" \
    "HostKey /etc/ssh/ssh_host_ed25519_key" \
    "PermitRootLogin prohibit-password" \
    "PubkeyAuthentication yes" \
    "PasswordAuthentication no" \
    "KbdInteractiveAuthentication no" \
    "UsePAM no" \
    "PidFile /run/sshd.pid" \
    "# tests open many connections at once; the default 10:30:100 drops some" \
    "MaxStartups 100:30:200" \
    "MaxSessions 100" \
    "AcceptEnv LANG LC_*" \
    "Subsystem sftp /usr/lib/openssh/sftp-server"
  write_fstab "$h" > "$hd/fstab"
}

# The mounts host-init.sh makes, in order. The root of an overlay takes its
# owner and mode from the upper directory (see prepare_hosts_dirs).
write_fstab() {
  local h=$1 hd=$HOSTS_DIR/$1 d n lower
  for d in "${OVERLAID[@]}"; do
    n=${d#/}; n=${n//\//_}
    case $d in
      /root) lower=$BASE/root ;;
      /etc|/home) lower=$BASE$d:$d ;;
      *) lower=$d ;;
    esac
    echo "lab-$h-$n $d overlay lowerdir=$lower,upperdir=$hd/upper/$n,workdir=$hd/work/$n 0 0"
  done
  echo "lab-$h-run /run tmpfs mode=0755,nosuid,nodev 0 0"
  echo "lab-$h-shm /dev/shm tmpfs mode=1777,nosuid,nodev 0 0"
  # bind over the real binary, so absolute paths (/bin/systemctl) hit it too
  echo "$LAB_DIR/bin/systemctl /usr/bin/systemctl none bind 0 0"
  echo "lab-$h-tmp /tmp tmpfs mode=1777,nosuid,nodev 0 0"
}

prepare_hosts_dirs() {   # all hosts' upper/work dirs, a few processes in all
  local n=$1 i d nm dirs=()
  for ((i = 1; i <= n; i++)); do
    for d in "${OVERLAID[@]}"; do
      nm=${d#/}; nm=${nm//\//_}
      dirs+=("$HOSTS_DIR/$LAB_NAME$i/upper/$nm" "$HOSTS_DIR/$LAB_NAME$i/work/$nm")
    done
    dirs+=("$HOSTS_DIR/$LAB_NAME$i/upper/etc/ssh")
  done
  mkdir -p "${dirs[@]}"
  # give each overlay root its lower directory's owner and mode (mkdir made 0755 root)
  for d in "${OVERLAID[@]}"; do
    nm=${d#/}; nm=${nm//\//_}
    [ "$d" = /root ] && d=$BASE/root
    [ "$(stat -c %a:%u:%g "$d")" = 755:0:0 ] && continue
    chmod --reference="$d" "$HOSTS_DIR"/"$LAB_NAME"*/upper/"$nm"
    chown --reference="$d" "$HOSTS_DIR"/"$LAB_NAME"*/upper/"$nm"
  done
}

# ---- up -----------------------------------------------------------------------
cmd_up() {
  local recreate=0 n=3 i h p addr upid pid1 t0 deadline pending still keygens addrs
  while [ $# -gt 0 ]; do
    case $1 in
      --recreate) recreate=1 ;;
      *) [[ $1 =~ ^[0-9]+$ ]] || die "up: unexpected argument '$1' (usage: lab.sh up [--recreate] [N])"; n=$1 ;;
    esac
    shift
  done
  [ "$n" -ge 1 ] && [ "$n" -le $MAX_HOSTS ] || die "up: N must be 1..$MAX_HOSTS"
  need_root

  if lab_exists; then
    [ $recreate = 1 ] || die "lab '$LAB_NAME' already exists (LAB_DIR=$LAB_DIR); run 'lab.sh down' first or use 'lab.sh up --recreate $n'"
    cmd_down --no-reap-wait
  fi
  bash "$HERE/install-packages.sh" --check 2>/dev/null || bash "$HERE/install-packages.sh"

  # Refuse networks already in use on the machine: the lab would hijack them.
  if ip -o -4 address show | grep -qE " ${LAB_NET//./\\.}\.[01]\.[0-9]+/"; then
    die "$LAB_NET.0.0/24 or $LAB_NET.1.0/24 is already used on this machine; pick another LAB_NET"
  fi
  # Upper layers must not live below a directory the hosts overlay or hide (/tmp
  # is fine: hosts mount their private /tmp after their overlays).
  case "$LAB_DIR/" in
    /etc/*|/var/*|/opt/*|/root/*|/home/*|/srv/*|/usr/local/*|/run/*|/dev/*)
      die "LAB_DIR=$LAB_DIR is below a directory the hosts overlay; use e.g. /tmp/..." ;;
  esac

  t0=$EPOCHREALTIME
  trap 'up_failed' EXIT                 # from here on, a failure tears down what was made
  rm -rf "$HOSTS_DIR" "$BASE"          # leftovers of a lab that died without 'down'
  mkdir -p "$HOSTS_DIR"
  printf 'LAB_NAME=%s\nLAB_NET=%s\n' "$LAB_NAME" "$LAB_NET" > "$STATE"

  prepare_base "$n"
  prepare_hosts_dirs "$n"
  keygens=()
  for ((i = 1; i <= n; i++)); do
    h=$LAB_NAME$i
    prepare_host "$i"
    # each host its own ed25519 host key (only that type is offered)
    ssh-keygen -q -t ed25519 -N '' -C "root@$h" -f "$HOSTS_DIR/$h/upper/etc/ssh/ssh_host_ed25519_key" &
    keygens+=($!)
  done
  for p in "${keygens[@]}"; do wait "$p" || die "up: generating host keys failed"; done

  # bridges, namespaces, veth pairs: one ip process for all of it
  {
    echo "link add $BR0 type bridge"
    echo "address add $LAB_NET.0.1/24 dev $BR0"
    echo "link set $BR0 up"
    echo "link add $BR1 type bridge"
    echo "link set $BR1 up"
    for ((i = 1; i <= n; i++)); do
      h=$LAB_NAME$i
      echo "netns add $h"
      echo "link add ${h}m type veth peer name eth0 netns $h"
      echo "link set ${h}m master $BR0 up"
      echo "link add ${h}u type veth peer name eth1 netns $h"
      echo "link set ${h}u master $BR1 up"
    done
  } | ip -batch - || die "up: creating bridges/namespaces failed"

  # start every host's PID 1; they come up in parallel
  for ((i = 1; i <= n; i++)); do
    h=$LAB_NAME$i; addr=$LAB_NET.0.$((10 + i))
    # setsid: outside our session, so a Ctrl-C at the caller leaves the lab alone;
    # env -i: hosts do not inherit the caller's environment; setsid, env and
    # ip netns exec all exec(), so $! is the unshare process. 8>&-: our lock.
    setsid env -i PATH=$CLEAN_PATH LANG=C.UTF-8 HOME=/root \
      ip netns exec "$h" unshare --uts --ipc --pid --fork --kill-child --mount-proc \
      bash "$HERE/host-init.sh" "$h" "$addr" "$HOSTS_DIR/$h" \
      </dev/null >>"$HOSTS_DIR/$h/init.log" 2>&1 8>&- &
    echo $! > "$HOSTS_DIR/$h/unshare.pid"
    disown $!                           # outlives lab.sh; no job reports from bash
  done

  # wait until every sshd listens (or its host died)
  deadline=$((EPOCHSECONDS + SSH_WAIT))
  pending=""; for ((i = 1; i <= n; i++)); do pending+=" $i"; done
  while :; do
    still=""
    for i in $pending; do
      h=$LAB_NAME$i; read -r upid < "$HOSTS_DIR/$h/unshare.pid"
      sshd_listens "$upid" "$LAB_NET.0.$((10 + i))" && continue
      if ! kill -0 "$upid" 2>/dev/null; then
        sed 's/^/  /' "$HOSTS_DIR/$h/init.log" >&2
        die "up: host $h died while starting (its log above)"
      fi
      still+=" $i"
    done
    pending=$still
    [ -n "$pending" ] || break
    [ "$EPOCHSECONDS" -lt "$deadline" ] \
      || die "up: sshd did not listen within ${SSH_WAIT}s on:$(for i in $pending; do printf ' %s' "$LAB_NAME$i"; done); see $HOSTS_DIR/HOST/init.log"
    sleep 0.01
  done

  addrs=()
  for ((i = 1; i <= n; i++)); do
    h=$LAB_NAME$i; read -r upid < "$HOSTS_DIR/$h/unshare.pid"
    is_host_unshare "$upid" "$h" || die "up: pid $upid is not the unshare process of $h"
    # the host's PID 1 (child of unshare), for 'exec' and the inventory
    read -r pid1 _ < "/proc/$upid/task/$upid/children" || true
    [ -n "$pid1" ] || die "up: no PID 1 under unshare $upid ($h)"
    echo "$pid1" > "$HOSTS_DIR/$h/init1.pid"
    addrs+=("$LAB_NET.0.$((10 + i))")
  done
  # and sshd accepts connections from the machine, as the tests will connect
  tcp_answers "${addrs[@]}" || die "up: an sshd does not accept connections from the machine"

  write_inventory "$n"
  trap - EXIT
  say "$n host(s) up in $(elapsed "$t0") s; inventory: $INVENTORY"
}

up_failed() {
  local rc=$?
  trap - EXIT
  echo "lab.sh: up failed; tearing the partial lab down" >&2
  cmd_down --no-reap-wait >&2 || true      # its processes are our children: reaped here
  exit $((rc == 0 ? 1 : rc))
}

write_inventory() {
  local n=$1 i h a b tmp=$INVENTORY.tmp pid1
  # every value is made by the lab: names, addresses, paths without quotes
  # (LAB_DIR is checked), base64 keys; so no JSON escaping is needed
  {
    printf '{\n  "name": "%s",\n' "$LAB_NAME"
    printf '  "managementBridge": "%s",\n  "underlayBridge": "%s",\n' "$BR0" "$BR1"
    printf '  "managementNetwork": "%s",\n  "managementGateway": "%s",\n' "$LAB_NET.0.0/24" "$LAB_NET.0.1"
    printf '  "underlayNetwork": "%s",\n' "$LAB_NET.1.0/24"
    printf '  "privateKeyPath": "%s",\n  "hosts": [' "$KEY"
    for ((i = 1; i <= n; i++)); do
      h=$LAB_NAME$i
      read -r a b _ < "$HOSTS_DIR/$h/upper/etc/ssh/ssh_host_ed25519_key.pub"
      read -r pid1 < "$HOSTS_DIR/$h/init1.pid"
      [ "$i" = 1 ] || printf ','
      printf '\n    { "name": "%s", "address": "%s", "port": 22, "user": "root",\n' "$h" "$LAB_NET.0.$((10 + i))"
      printf '      "users": { "sudo": "ops", "unprivileged": "guest" },\n'
      printf '      "privateKeyPath": "%s",\n' "$KEY"
      printf '      "hostPublicKey": "%s %s",\n' "$a" "$b"
      printf '      "managementInterface": "eth0", "secondInterface": "eth1",\n'
      printf '      "underlayAddress": "%s", "init1Pid": %s }' "$LAB_NET.1.$((10 + i))/24" "$pid1"
    done
    printf '\n  ]\n}\n'
  } > "$tmp"
  mv "$tmp" "$INVENTORY"
}

# ---- down -------------------------------------------------------------------
cmd_down() {
  need_root
  local h p pids=() hosts=() deadline left batch=""
  mapfile -t hosts < <( { recorded_hosts; lab_netns; } | sort -u)

  # 1. SIGKILL each host's unshare process (it ignores SIGTERM). --kill-child
  #    makes the kernel SIGKILL the host's PID 1, and a dying PID 1 takes every
  #    process of its PID namespace (sshd, keepalived, ovs, registry, sessions)
  #    and so its mount namespace with it. Only PIDs recorded by 'up', and only
  #    while they still are the unshare of that host.
  for h in "${hosts[@]}"; do
    p=$(cat "$HOSTS_DIR/$h/unshare.pid" 2>/dev/null || true)
    if [ -n "$p" ] && is_host_unshare "$p" "$h"; then pids+=("$p"); continue; fi
    # no valid record (LAB_DIR wiped?): our unshare is still in the host's netns
    [ -e "/run/netns/$h" ] || continue
    for p in /proc/[0-9]*; do
      [ "$p/ns/net" -ef "/run/netns/$h" ] 2>/dev/null && is_host_unshare "${p#/proc/}" "$h" && pids+=("${p#/proc/}")
    done
  done
  [ ${#pids[@]} = 0 ] || kill -KILL "${pids[@]}" 2>/dev/null || true

  # 2. wait until they have died (a PID 1 dies after the rest of its namespace)
  for h in "${hosts[@]}"; do
    p=$(cat "$HOSTS_DIR/$h/init1.pid" 2>/dev/null || true)
    [ -n "$p" ] && is_ns_init "$p" && pids+=("$p")       # not a recycled pid
  done
  deadline=$((EPOCHSECONDS + 10))
  for p in "${pids[@]}"; do
    while [ "$(proc_state "$p")" = running ] && [ "$EPOCHSECONDS" -lt "$deadline" ]; do sleep 0.01; done
  done
  #    processes still in a lab netns were not started by the lab (e.g. an 'ip
  #    netns exec' from a test): not ours to kill, but worth a word
  for h in "${hosts[@]}"; do
    [ -e "/run/netns/$h" ] || continue
    left=""
    for p in /proc/[0-9]*; do
      [ "$p/ns/net" -ef "/run/netns/$h" ] 2>/dev/null && left+=" ${p#/proc/}"
    done
    [ -z "$left" ] || echo "lab.sh: warning: processes not started by the lab remain in netns $h:$left" >&2
  done

  # 3. links and namespaces, one ip process. Deleting the machine-side veth ends
  #    removes their peers at once (a namespace's links go away asynchronously).
  for h in "${hosts[@]}"; do
    link_exists "${h}m" && batch+="link del ${h}m"$'\n'
    link_exists "${h}u" && batch+="link del ${h}u"$'\n'
    [ -e "/run/netns/$h" ] && batch+="netns del $h"$'\n'
  done
  link_exists "$BR0" && batch+="link del $BR0"$'\n'
  link_exists "$BR1" && batch+="link del $BR1"$'\n'
  [ -z "$batch" ] || printf '%s' "$batch" | ip -force -batch - \
    || echo "lab.sh: warning: some links or namespaces could not be removed" >&2

  # 4. files; the key pair stays (one per lab, reused by the next 'up')
  rm -rf "$HOSTS_DIR" "$BASE" "${LAB_DIR:?}/bin" "$INVENTORY" "$INVENTORY.tmp" "$STATE"

  # 5. the dead unshare processes and PID 1s are zombies until their parent,
  #    the machine's init, reaps them; they hold nothing, but 'ps' lists them
  #    as <defunct> until then. Wait for that, except when 'up --recreate' goes on.
  if [ "${1:-}" != --no-reap-wait ]; then
    deadline=$((EPOCHSECONDS + 5))
    for p in "${pids[@]}"; do
      while [ "$(proc_state "$p")" = zombie ] && [ "$EPOCHSECONDS" -lt "$deadline" ]; do sleep 0.02; done
    done
  fi
  say "lab '$LAB_NAME' is down"
}

# ---- status -------------------------------------------------------------------
cmd_status() {
  local h addr upid pid1 alive sshd rc=0 hosts
  if ! lab_exists; then echo "no lab '$LAB_NAME' (LAB_DIR=$LAB_DIR)"; return 3; fi
  hosts=$(recorded_hosts)
  echo "lab '$LAB_NAME' in $LAB_DIR: management $BR0 $LAB_NET.0.0/24 (machine $LAB_NET.0.1), underlay $BR1"
  printf '%-8s %-15s %-9s %-8s %s\n' HOST ADDRESS PID1 RUNNING SSHD
  for h in $hosts; do
    addr=$(cat "$HOSTS_DIR/$h/address" 2>/dev/null || echo '?')
    upid=$(cat "$HOSTS_DIR/$h/unshare.pid" 2>/dev/null || echo 0)
    pid1=$(cat "$HOSTS_DIR/$h/init1.pid" 2>/dev/null || echo '?')
    if is_host_unshare "$upid" "$h"; then alive=yes; else alive=no; rc=1; fi
    if [ "$addr" != '?' ] && tcp_answers "$addr"; then sshd=answers; else sshd="no answer"; rc=1; fi
    printf '%-8s %-15s %-9s %-8s %s\n' "$h" "$addr" "$pid1" "$alive" "$sshd"
  done
  [ -n "$hosts" ] || { echo "(no hosts recorded)"; rc=1; }
  if [ -f "$INVENTORY" ]; then echo "inventory: $INVENTORY"; else echo "inventory: (none)"; rc=1; fi
  return $rc
}

# ---- exec -----------------------------------------------------------------------
cmd_exec() {
  need_root
  [ $# -ge 1 ] || die "usage: lab.sh exec HOST [--] CMD..."
  local h=$1 pid1 upid; shift
  [[ $h =~ ^[0-9]+$ ]] && h=$LAB_NAME$h
  [ "${1:-}" = -- ] && shift
  [ $# -gt 0 ] || set -- bash -l
  read -r upid 2>/dev/null < "$HOSTS_DIR/$h/unshare.pid" || die "exec: no host '$h' in lab '$LAB_NAME' (LAB_DIR=$LAB_DIR)"
  read -r pid1 2>/dev/null < "$HOSTS_DIR/$h/init1.pid" || die "exec: host '$h' has no recorded PID 1"
  # still ours: the recorded unshare, and PID 1 its child
  is_host_unshare "$upid" "$h" && [ "$(ppid_of "$pid1")" = "$upid" ] || die "exec: host '$h' is not running"
  # a clean environment, as in an SSH session; the exit code is CMD's
  exec nsenter --target "$pid1" --net --mount --uts --ipc --pid --root --wd -- \
    env -i PATH=$CLEAN_PATH HOME=/root LANG=C.UTF-8 TERM="${TERM:-dumb}" "$@"
}

# ---- main ---------------------------------------------------------------------
cmd=${1:-}; [ $# -gt 0 ] && shift
case $cmd in
  up|down)
    # one changing lab.sh at a time per LAB_DIR (the lock goes with this process)
    mkdir -p "$LAB_DIR"
    exec 8>>"$LAB_DIR/.lock"
    flock 8 ;;
esac
case $cmd in
  up) cmd_up "$@" ;;
  down) [ $# = 0 ] || die "down takes no arguments"; cmd_down ;;
  status) cmd_status ;;
  exec) cmd_exec "$@" ;;
  install) cmd_install ;;
  -h|--help|help) usage ;;
  *) usage >&2; exit 2 ;;
esac
