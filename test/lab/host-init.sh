#!/bin/bash
# PID 1 of one lab host.
#
# lab.sh starts it as
#   ip netns exec HOST unshare --uts --ipc --pid --fork --kill-child --mount-proc \
#     host-init.sh HOST ADDRESS LAB_DIR
# so it runs in the host's own network, mount, UTS, IPC and PID namespaces. It
# turns the machine's file system into a private-looking host, starts sshd on the
# management address, then stays PID 1 (reaping orphans) until lab.sh kills the
# unshare process above it, which takes the whole PID namespace down.
#
# Files it reads from LAB_DIR (prepared by lab.sh):
#   keys/id_ed25519.pub  the lab's key, authorized for root, ops and guest
#   bin/systemctl        the systemctl shim
#   skel/root/           lower layer of /root: stock dotfiles only
#   etc-hosts            /etc/hosts lines for every lab host
# and it writes LAB_DIR/hosts/HOST/{upper,work}/* (overlay layers) and
# LAB_DIR/hosts/HOST/ssh_host_ed25519_key.pub.
set -euo pipefail

HOST=$1 ADDRESS=$2 LAB_DIR=$3
HOST_DIR=$LAB_DIR/hosts/$HOST

fail() { echo "host-init[$HOST]: $*" >&2; exit 1; }
[ $$ = 1 ] || fail "must run as PID 1 of a new PID namespace (started by lab.sh)"

hostname "$HOST"
# nothing mounted here may propagate back to the machine
mount --make-rprivate /

# ---- network (the interfaces were moved into this netns by lab.sh) ---------
ip -batch - <<EOF
link set lo up
address add $ADDRESS/24 dev eth0
link set eth0 up
link set eth1 up
EOF

# ---- file system ------------------------------------------------------------
# Copy-on-write views of the directories a host writes to: the machine's files
# are the lower layer, every write lands in HOST_DIR/upper. /root's lower layer
# is a stock skeleton instead of the machine's /root, whose dotfiles and tool
# set-ups (slow .bashrc, ~/.ssh, caches) must not leak into hosts.
overlay() {   # overlay DIR LOWER
  local dir=$1 lower=$2 n=${1#/}
  n=${n//\//_}
  mkdir -p "$HOST_DIR/upper/$n" "$HOST_DIR/work/$n"
  mount -t overlay "lab-$HOST-$n" \
    -o "lowerdir=$lower,upperdir=$HOST_DIR/upper/$n,workdir=$HOST_DIR/work/$n" "$dir"
}
for d in /etc /var /opt /home /srv /usr/local; do overlay "$d" "$d"; done
overlay /root "$LAB_DIR/skel/root"
mount -t tmpfs -o mode=0755,nosuid,nodev "lab-$HOST-run" /run
mount -t tmpfs -o mode=1777,nosuid,nodev "lab-$HOST-shm" /dev/shm
# the shim over the real binary, so absolute paths (/bin/systemctl) hit it too
mount --bind "$LAB_DIR/bin/systemctl" /usr/bin/systemctl

# ---- identity -----------------------------------------------------------------
echo "$HOST" > /etc/hostname
cat "$LAB_DIR/etc-hosts" > /etc/hosts
# each host its own machine id (OVS and others key state on it)
tr -d - < /proc/sys/kernel/random/uuid > /etc/machine-id
mkdir -p /run/sshd /run/lock /run/user

# ---- users ------------------------------------------------------------------
# root, ops (passwordless sudo) and guest (no sudo) all log in with the lab key.
# The password field is "*" (no password usable), not "!" (locked): without PAM
# OpenSSH refuses key logins to locked accounts.
authorize() {   # authorize USER HOME
  local user=$1 home=$2
  install -d -m 0700 -o "$user" -g "$user" "$home/.ssh"
  install -m 0600 -o "$user" -g "$user" "$LAB_DIR/keys/id_ed25519.pub" "$home/.ssh/authorized_keys"
}
for user in ops guest; do
  id -u "$user" >/dev/null 2>&1 || useradd --create-home --shell /bin/bash --user-group "$user"
  install -d -m 0750 -o "$user" -g "$user" "/home/$user"
  authorize "$user" "/home/$user"
done
usermod -p '*' root; usermod -p '*' ops; usermod -p '*' guest
authorize root /root
install -d -m 0750 /etc/sudoers.d
echo 'ops ALL=(ALL) NOPASSWD:ALL' > /etc/sudoers.d/ops
chmod 0440 /etc/sudoers.d/ops

# ---- sshd ---------------------------------------------------------------------
# Its own host key (the machine's keys in the lower /etc must not be offered).
rm -f /etc/ssh/ssh_host_*
ssh-keygen -q -t ed25519 -N '' -C "root@$HOST" -f /etc/ssh/ssh_host_ed25519_key
cp /etc/ssh/ssh_host_ed25519_key.pub "$HOST_DIR/ssh_host_ed25519_key.pub"
cat > /etc/ssh/sshd_config <<EOF
# lab host $HOST: management address only, keys only
ListenAddress $ADDRESS
HostKey /etc/ssh/ssh_host_ed25519_key
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
PidFile /run/sshd.pid
# tests open many connections at once; the default 10:30:100 drops some
MaxStartups 100:30:200
MaxSessions 100
AcceptEnv LANG LC_*
Subsystem sftp /usr/lib/openssh/sftp-server
EOF
mkdir -p /etc/lab-systemd/enabled
touch /etc/lab-systemd/enabled/ssh

# Last: /tmp is where LAB_DIR lives by default, so everything above that reads
# LAB_DIR must be done before a private /tmp hides it.
mount -t tmpfs -o mode=1777,nosuid,nodev "lab-$HOST-tmp" /tmp
cd /

# -D: stay a child of PID 1; -e: log to stderr, i.e. HOST_DIR/init.log
/usr/sbin/sshd -D -e -f /etc/ssh/sshd_config </dev/null &

# ---- PID 1 duty -----------------------------------------------------------
# Reap orphans forever (bash reaps every child on SIGCHLD while it waits).
trap 'exit 0' TERM
while :; do
  sleep 86400 &
  wait $! || true
done
