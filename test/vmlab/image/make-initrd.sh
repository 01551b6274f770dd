#!/bin/bash
# Makes the VM's initrd (see initrd-init) from the rootfs's kernel modules and
# busybox-static. Usage: make-initrd.sh ROOTFS OUTFILE
set -euo pipefail
R=$1 OUT=$2
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
kver=$(ls "$R/lib/modules" | head -1)
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
mkdir -p "$T/bin" "$T/modules"
cp "$R/bin/busybox" "$T/bin/busybox"
install -m 0755 "$HERE/initrd-init" "$T/init"
# every module with its dependencies, in load order
: > "$T/modules.order"
for m in virtio_pci virtio_blk crc32c_generic ext4; do chroot "$R" modprobe -S "$kver" --show-depends "$m"; done \
  | awk '$1 == "insmod" && !seen[$2]++ { print $2 }' | while read -r m; do
    cp "$R$m" "$T/modules/"
    echo "/modules/${m##*/}" >> "$T/modules.order"
  done
grep -q virtio_blk "$T/modules.order" && grep -q ext4 "$T/modules.order" \
  || { echo "make-initrd: modules missing" >&2; exit 1; }
( cd "$T" && find . | LC_ALL=C sort | busybox cpio -o -H newc 2>/dev/null ) | gzip -1 > "$OUT"
