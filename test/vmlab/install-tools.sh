#!/bin/bash
# Installs the Debian packages the VM lab needs on the machine, only the missing
# ones. None of them runs a daemon (the bare VMs' mirror is busybox httpd, started by vmlab.sh).
#
# Usage: install-tools.sh [--check]   (--check: exit 1 if something is missing)
set -euo pipefail

PACKAGES=(mmdebstrap qemu-system-x86 qemu-utils e2fsprogs busybox-static apt-utils gpg
          openssh-client iproute2 debian-archive-keyring ca-certificates zstd python3-minimal)

installed=" $(dpkg-query -W -f='${db:Status-Status}:${Package} ' "${PACKAGES[@]}" 2>/dev/null || true) "
missing=()
for p in "${PACKAGES[@]}"; do
  case $installed in *" installed:$p "*) ;; *) missing+=("$p") ;; esac
done
if [ "${1:-}" = --check ]; then
  [ ${#missing[@]} -eq 0 ] || { echo "vmlab: missing packages: ${missing[*]}" >&2; exit 1; }
  exit 0
fi
[ ${#missing[@]} -eq 0 ] && { echo "vmlab install: all packages present"; exit 0; }
[ "$(id -u)" = 0 ] || { echo "vmlab install: must run as root to install: ${missing[*]}" >&2; exit 1; }
echo "vmlab install: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=300 update -q
# no recommends: qemu-system-x86 would bring a desktop's worth of them
apt-get -o DPkg::Lock::Timeout=300 install -y -q --no-install-recommends "${missing[@]}"
echo "vmlab install: done"
