#!/bin/bash
# PID 1 of one lab host.
#
# lab.sh starts it as
#   ip netns exec HOST unshare --uts --ipc --pid --fork --kill-child --mount-proc \
#     bash host-init.sh HOST ADDRESS HOST_DIR
# so it runs in the host's own network, mount, UTS, IPC and PID namespaces
# (unshare makes the new mount namespace's propagation private: nothing mounted
# here reaches the machine). It brings up the host's interfaces, mounts the
# host's file system, starts sshd on the management address, then stays PID 1,
# reaping orphans, until lab.sh kills the unshare process above it: that takes
# the whole PID namespace, and with it every mount here, down.
#
# lab.sh prepares everything beforehand (host key, sshd_config, hostname, users
# in the lab's base layers, HOST_DIR/fstab) so that this script starts only a few
# processes: a host is up in well under a second.
set -euo pipefail

HOST=$1 ADDRESS=$2 HOST_DIR=$3

fail() { echo "host-init[$HOST]: $*" >&2; exit 1; }
[ $$ = 1 ] || fail "must run as PID 1 of a new PID namespace (started by lab.sh)"

echo "$HOST" > /proc/sys/kernel/hostname

# lab.sh moved eth0 (management, on the lab's bridge 0) and eth1 (underlay, on
# bridge 1) into this netns; addresses are lost when a link changes namespace,
# so they are set here.
ip -batch - <<EOF
link set lo up
address add $ADDRESS/24 dev eth0
link set eth0 up
link set eth1 up
EOF

# Overlays over /etc /var /opt /home /srv /usr/local /root, tmpfs on /run,
# /dev/shm and /tmp, the systemctl shim over /usr/bin/systemctl: see lab.sh
# (write_fstab). /tmp comes last, since LAB_DIR may live in the machine's /tmp.
mount --all --fstab "$HOST_DIR/fstab" || fail "mounting $HOST_DIR/fstab failed"
mkdir -p /run/sshd /run/lock
cd /

# -D: sshd stays our child; -e: it logs to stderr, which is HOST_DIR/init.log.
# (A 'systemctl restart ssh' later starts it through the init script instead.)
/usr/sbin/sshd -D -e </dev/null &

# PID 1 duty: bash reaps every child, adopted orphans included, while it waits.
trap 'exit 0' TERM
while :; do
  sleep 86400 &
  wait $! || true
done
