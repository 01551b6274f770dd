#!/bin/bash
# mmdebstrap customize hook: turns the fresh rootfs ($1) into the lab's VM image.
# Runs on the machine; chroot only for tools that must see the image's files.
# Usage: customize.sh ROOTFS full|bare MIRRORDIR MIRROR_PACKAGE...
# (bare: the repository of MIRROR_PACKAGEs is made in MIRRORDIR, see mirror.sh)
set -euo pipefail
R=$1 FLAVOR=$2 MIRROR=$3; shift 3
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
inroot() { chroot "$R" "$@"; }

# ---- bare: the lab mirror's repository, while the rootfs still resolves names -----
[ "$FLAVOR" = full ] || bash "$HERE/mirror.sh" "$R" "$MIRROR" "$@"

# ---- identity placeholders; each VM gets its own at boot -------------------------
printf '/dev/vda / ext4 defaults,errors=remount-ro 0 1\n' > "$R/etc/fstab"
echo vmlab > "$R/etc/hostname"
# A set machine-id keeps systemd out of its first-boot preset run (it would enable
# what is disabled below); each VM's own comes from systemd.machine_id= at boot.
echo 00000000000000000000000000000001 > "$R/etc/machine-id"
: > "$R/etc/resolv.conf"                 # no DNS: the lab has no way out

# ---- users: root, ops (passwordless sudo), guest; keys come at boot ---------------
inroot useradd -m -s /bin/bash ops
inroot useradd -m -s /bin/bash guest
# "*": no password, yet not locked (a locked account cannot log in with a key)
for u in root ops guest; do inroot usermod -p '*' "$u"; done
echo 'ops ALL=(ALL) NOPASSWD:ALL' > "$R/etc/sudoers.d/ops"
chmod 0440 "$R/etc/sudoers.d/ops"

# ---- sshd: one ed25519 host key, handed in at boot (ssh-keygen -A is slow under TCG)
rm -f "$R"/etc/ssh/ssh_host_*
install -m 0644 "$HERE/sshd-vmlab.conf" "$R/etc/ssh/sshd_config.d/vmlab.conf"

# ---- per-VM set-up and docker images ----------------------------------------------
install -m 0755 "$HERE/vmlab-init" "$R/usr/local/sbin/vmlab-init"
install -m 0755 "$HERE/vmlab-net-flavor" "$HERE/vmlab-docker-images" "$HERE/vmlab-bake" "$R/usr/local/sbin/"
install -m 0644 "$HERE/vmlab-init.service" "$HERE/vmlab-net-flavor.service" "$HERE/vmlab-docker-images.service" \
  "$HERE/vmlab-bake.service" "$R/etc/systemd/system/"
install -D -m 0644 "$HERE/netplan-ovs-cleanup-timeout.conf" \
  "$R/etc/systemd/system/netplan-ovs-cleanup.service.d/vmlab-timeout.conf"
install -m 0644 "$HERE/70-vmlab-eth1.rules" "$R/etc/udev/rules.d/"
inroot systemctl enable vmlab-init.service vmlab-net-flavor.service vmlab-bake.service
if [ "$FLAVOR" = full ]; then
  inroot systemctl enable vmlab-docker-images.service
  bash "$HERE/docker-images.sh" "$R" "$R/var/lib/vmlab/docker-images"
else
  # The packages the resources install come from the lab's mirror; the docker image
  # tarballs wait in the image for a test to import once dockerd is installed
  # (vmlab-docker-images), with the registry binary taken from the mirror's package.
  bash "$HERE/docker-images.sh" "$R" "$R/var/lib/vmlab/docker-images" "$MIRROR"/pool/main/docker-registry_*.deb
  rm "$R/etc/systemd/system/vmlab-docker-images.service"   # no dockerd to import into at boot
  # apt reads the lab's mirror only (vmlab-init writes its sources at first boot)
  : > "$R/etc/apt/sources.list"
fi

# ---- network: eth0 via ifupdown (written at boot); NetworkManager and networkd off
# until a VM's flavor turns one on for eth1
printf 'auto lo\niface lo inet loopback\n\nsource /etc/network/interfaces.d/*\n' > "$R/etc/network/interfaces"
install -D -m 0644 "$HERE/NetworkManager-vmlab.conf" "$R/etc/NetworkManager/conf.d/90-vmlab.conf"

# ---- services ----------------------------------------------------------------------
# The package's resources start and enable these: tests must see them do it.
[ "$FLAVOR" = bare ] || inroot systemctl disable keepalived.service docker-registry.service
# Per flavor (see vmlab-net-flavor).
inroot systemctl disable NetworkManager.service NetworkManager-wait-online.service \
  NetworkManager-dispatcher.service systemd-networkd.service systemd-networkd.socket \
  systemd-networkd-wait-online.service 2>/dev/null || true
# Nothing in the lab may try to reach a mirror or spend CPU on housekeeping.
inroot systemctl mask apt-daily.timer apt-daily-upgrade.timer e2scrub_reap.service \
  e2scrub_all.timer fstrim.timer dpkg-db-backup.timer man-db.timer \
  ModemManager.service wpa_supplicant.service 2>/dev/null || true
# A serial console for the boot log only; nobody types there.
inroot systemctl mask serial-getty@ttyS0.service getty@tty1.service
# Early-boot module preloads for hardware the VMs lack (drm, dm, efi) or that
# load on first use anyway (fuse, loop, configfs): each costs seconds under TCG.
inroot systemctl mask modprobe@drm.service modprobe@dm_mod.service modprobe@efi_pstore.service \
  modprobe@fuse.service modprobe@loop.service modprobe@configfs.service

# ---- the kernel modules the lab's features need are there (a VM loads them on use)
kver=$(ls "$R/lib/modules" | head -1)
for m in openvswitch ip_gre vxlan ip_vs qemu_fw_cfg; do
  inroot modinfo -k "$kver" -n "$m" >/dev/null || { echo "customize: kernel module $m missing" >&2; exit 1; }
done

bash "$HERE/make-initrd.sh" "$R" "$R/boot/vmlab-initrd.img"

rm -rf "$R"/var/cache/apt/archives/*.deb "$R"/var/lib/apt/lists/*
