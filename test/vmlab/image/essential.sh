#!/bin/bash
# mmdebstrap essential hook (before the kernel and initramfs-tools are installed):
# a small initrd, made once, with only what finds the root disk; few modules and
# gzip unpack fast under TCG.
set -euo pipefail
R=$1
mkdir -p "$R/etc/initramfs-tools/conf.d" "$R/usr/share/initramfs-tools/modules.d"
printf 'MODULES=list\nCOMPRESS=gzip\n' > "$R/etc/initramfs-tools/conf.d/vmlab"
printf '%s\n' virtio_pci virtio_blk ext4 crc32c_generic > "$R/usr/share/initramfs-tools/modules.d/vmlab"
