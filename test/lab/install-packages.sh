#!/bin/bash
# Installs the Debian packages the netns lab needs, and only the missing ones.
#
# The lab's hosts see the machine's /usr, so every tool a host runs (sshd,
# keepalived, ovs-vswitchd, docker-registry ...) must be installed on the machine
# itself. Installing a daemon package on Debian normally starts and enables the
# daemon in the machine's own (root) namespaces; that would bind ports (sshd on
# 0.0.0.0:22, the registry on :5000) and interfere with the lab. So:
#   1. while installing, a temporary /usr/sbin/policy-rc.d (only if none exists)
#      tells invoke-rc.d / deb-systemd-invoke not to start anything;
#   2. afterwards, any of the lab's daemons that runs in the root PID namespace
#      now but did not before is stopped, and the services of packages that were
#      newly installed here are disabled, so the machine is as it was before,
#      plus files.
#
# Usage: install-packages.sh [--check]   (--check: exit 1 if something is missing,
#                                        install nothing)
set -euo pipefail

# netplan.io, gir1.2-nm-1.0/python3-gi and docker.io (dockerd) are not lab daemons: the golden tests run
# `netplan generate`, libnm's keyfile reader and `dockerd --validate` on rendered files. ipvsadm: a
# KeepalivedCluster with virtual servers installs it on its nodes, which here are the machine's /usr.
PACKAGES=(openssh-server openssh-client keepalived ipvsadm openvswitch-switch docker-registry
          skopeo iproute2 sudo ifupdown iputils-ping curl procps
          netplan.io gir1.2-nm-1.0 python3-gi docker.io)

# package -> its service name (as an init script / systemd unit) and the daemon
# executables whose processes mean "the service runs".
declare -A SERVICE=([openssh-server]=ssh [keepalived]=keepalived
                    [openvswitch-switch]=openvswitch-switch [docker-registry]=docker-registry
                    [docker.io]=docker)
# (/usr/sbin/ovs-vswitchd is an alternatives symlink to one of the /usr/lib ones)
DAEMON_EXES=(/usr/sbin/sshd /usr/sbin/keepalived /usr/sbin/ovsdb-server /usr/sbin/ovs-vswitchd
             /usr/lib/openvswitch-switch/ovs-vswitchd /usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk
             /usr/bin/docker-registry /usr/sbin/dockerd /usr/bin/containerd)

die() { echo "install-packages: $*" >&2; exit 1; }

# one dpkg-query for all (it exits 1 when it knows some name not at all)
installed=" $(dpkg-query -W -f='${db:Status-Status}:${Package} ' "${PACKAGES[@]}" 2>/dev/null || true) "
missing=()
for p in "${PACKAGES[@]}"; do
  case $installed in *" installed:$p "*) ;; *) missing+=("$p") ;; esac
done

if [ "${1:-}" = --check ]; then
  [ ${#missing[@]} -eq 0 ] || { echo "missing packages: ${missing[*]}" >&2; exit 1; }
  exit 0
fi
[ ${#missing[@]} -eq 0 ] && { echo "install-packages: all packages present"; exit 0; }
[ "$(id -u)" = 0 ] || die "must run as root to install: ${missing[*]}"

# PIDs of the lab's daemons running in *our* PID namespace (the machine's root
# one). Lab hosts have their own PID namespaces, so their daemons are not listed.
root_daemon_pids() {
  local self_ns p exe
  self_ns=$(readlink /proc/self/ns/pid)
  for p in /proc/[0-9]*; do
    exe=$(readlink "$p/exe" 2>/dev/null) || continue
    case " ${DAEMON_EXES[*]} " in *" $exe "*) ;; *) continue ;; esac
    [ "$(readlink "$p/ns/pid" 2>/dev/null)" = "$self_ns" ] && echo "${p#/proc/}"
  done
  return 0
}
before=" $(root_daemon_pids | tr '\n' ' ') "

# 1. keep maintainer scripts from starting daemons.
created_policy=0
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\n# temporary, from the pulumi-onprem lab installer: start no service\nexit 101\n' \
    > /usr/sbin/policy-rc.d
  chmod 755 /usr/sbin/policy-rc.d
  created_policy=1
fi
cleanup() { [ $created_policy = 1 ] && rm -f /usr/sbin/policy-rc.d; return 0; }
trap cleanup EXIT

echo "install-packages: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=300 update -q \
  || die "apt-get update failed"
apt-get -o DPkg::Lock::Timeout=300 install -y -q --no-install-recommends "${missing[@]}" \
  || die "apt-get install failed for: ${missing[*]}"

# 2. stop what the install started (a policy-rc.d that allowed starts, a package
# that starts its daemon without invoke-rc.d ...), by PID, and disable the services
# of newly installed packages so the next boot does not start them either.
systemd_pid1=0; [ -d /run/systemd/system ] && systemd_pid1=1
for p in "${missing[@]}"; do
  svc=${SERVICE[$p]:-}; [ -n "$svc" ] || continue
  if [ $systemd_pid1 = 1 ]; then
    systemctl disable --now "$svc" >/dev/null 2>&1 || true
  else
    [ -x /etc/init.d/"$svc" ] && /etc/init.d/"$svc" stop >/dev/null 2>&1 || true
    update-rc.d "$svc" disable >/dev/null 2>&1 || true
  fi
done
for pid in $(root_daemon_pids); do
  case $before in *" $pid "*) continue ;; esac          # was running before: not ours
  echo "install-packages: stopping $(readlink /proc/"$pid"/exe 2>/dev/null) (pid $pid) started by the install"
  kill -TERM "$pid" 2>/dev/null || true
done
echo "install-packages: done"
