#!/bin/bash
# Builds the VM lab's disk image once per recipe and prints its directory.
#
#   build-image.sh [--bare]          build if needed; print the image directory
#   build-image.sh [--bare] --dir    print the directory the current recipe maps to, build nothing
#
# Two flavors of image: "full" carries every package the project's resources use
# (keepalived, Open vSwitch, dockerd, docker-registry ...); "bare" (--bare) is a
# minimal Debian server (systemd, sshd, ifupdown, base tools) plus a signed Debian
# repository beside it (mirror/) holding exactly what the resources install on it,
# which the lab serves to bare VMs (see vmlab.sh).
#
# The image lives in ${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-onprem/vmlab/<flavor>-<hash>/
# (base.qcow2, vmlinuz, initrd.img, and mirror/ for bare), where <hash> covers this
# script and every file under image/: a changed recipe builds a new image, an
# unchanged one is reused. Packages come from the machine's own Debian apt sources (security
# suite included: it carries the current kernel). No loop mounts: mmdebstrap
# into a directory, mkfs.ext4 -d into a sparse raw file, then qcow2.
set -euo pipefail
umask 022

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SUITE=bookworm
DISK_SIZE=8G            # sparse; the qcow2 holds only what is written
BAKE_TIMEOUT=1500       # s for the bake boot (TCG on a busy machine is slow)
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-onprem/vmlab

FLAVOR=full
while [ $# -gt 0 ]; do
  case $1 in
    --bare) FLAVOR=bare ;;
    --dir) ONLY_DIR=1 ;;
    *) echo "build-image: unexpected argument '$1' (usage: build-image.sh [--bare] [--dir])" >&2; exit 2 ;;
  esac
  shift
done

# A minimal Debian server: what an installer's "SSH server" task leaves, and no more.
BASE_PACKAGES=(
  systemd-sysv udev dbus kmod procps netbase less sudo openssh-server
  linux-image-amd64 initramfs-tools busybox-static
  iproute2 iputils-ping ifupdown
)
# What the project's resources install on a host that lacks it: the bare flavor's
# mirror holds these and their dependencies, the full image has them installed.
MIRROR_PACKAGES=(keepalived ipvsadm openvswitch-switch docker.io docker-registry curl)
if [ "$FLAVOR" = full ]; then
  # Everything a full VM needs is baked in: full VMs have no route to any mirror.
  PACKAGES=("${BASE_PACKAGES[@]}" "${MIRROR_PACKAGES[@]}" network-manager netplan.io iptables
            ca-certificates python3 tcpdump netcat-openbsd)
else
  PACKAGES=("${BASE_PACKAGES[@]}")
fi

die() { echo "build-image: $*" >&2; exit 1; }

recipe_hash() {
  # names and contents, in a stable order
  ( cd "$HERE" && find build-image.sh image -type f -print0 | LC_ALL=C sort -z \
      | xargs -0 sha256sum ) | sha256sum | cut -c1-16
}

IMG=$CACHE/$FLAVOR-$(recipe_hash)
if [ -n "${ONLY_DIR:-}" ]; then echo "$IMG"; exit 0; fi
if [ -f "$IMG/done" ]; then echo "$IMG"; exit 0; fi

[ "$(id -u)" = 0 ] || die "must run as root (mmdebstrap --mode=root)"
bash "$HERE/install-tools.sh" --check >/dev/null 2>&1 || bash "$HERE/install-tools.sh" >&2

mkdir -p "$CACHE"
exec 9>>"$CACHE/.lock"
flock 9                                   # one build at a time; a waiting one reuses the result
if [ -f "$IMG/done" ]; then echo "$IMG"; exit 0; fi

# deb lines for the Debian suites of the machine's own apt sources (one-line
# and deb822 formats); other repositories (vendors' tools) stay out
debian_sources() {
  local f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    awk -v s="$SUITE" '$1 == "deb" { i = 2; if ($2 ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
      if ($(i+1) ~ "^" s "(-|$)") print "deb " $i " " $(i+1) " main" }' "$f"
  done
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk -v s="$SUITE" 'function flush() { if (types ~ /(^| )deb( |$)/) { n = split(uris, u, " "); m = split(suites, x, " ");
          for (a = 1; a <= n; a++) for (b = 1; b <= m; b++) if (x[b] ~ "^" s "(-|$)") print "deb " u[a] " " x[b] " main" }
        types = uris = suites = "" }
      /^[ \t]*$/ { flush(); next }
      /^Types:/ { sub(/^Types:[ \t]*/, ""); types = $0 }
      /^URIs:/ { sub(/^URIs:[ \t]*/, ""); uris = $0 }
      /^Suites:/ { sub(/^Suites:[ \t]*/, ""); suites = $0 }
      END { flush() }' "$f"
  done
}
mapfile -t SOURCES < <(debian_sources | awk '!seen[$0]++')
[ ${#SOURCES[@]} -gt 0 ] || die "no Debian $SUITE entries in the machine's apt sources"
printf 'build-image: source %s\n' "${SOURCES[@]}" >&2

t0=$SECONDS
WORK=$CACHE/.build-$$
rm -rf "$WORK"; mkdir -p "$WORK"
trap 'rm -rf "$WORK"' EXIT
pkgs=$(IFS=,; echo "${PACKAGES[*]}")

# policy-rc.d comes from mmdebstrap itself: nothing starts in the chroot
mmdebstrap --mode=root --variant=apt --include="$pkgs" \
  --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
  --dpkgopt='path-include=/usr/share/doc/*/copyright' --dpkgopt='path-exclude=/usr/share/locale/*' \
  --dpkgopt='path-exclude=/usr/share/info/*' \
  --essential-hook="bash '$HERE/image/essential.sh' \"\$1\"" \
  --customize-hook="bash '$HERE/image/customize.sh' \"\$1\" $FLAVOR '$WORK/mirror' ${MIRROR_PACKAGES[*]}" \
  "$SUITE" "$WORK/rootfs" "${SOURCES[@]}" >&2
echo "build-image: rootfs in $((SECONDS - t0)) s ($(du -sh "$WORK/rootfs" | cut -f1))" >&2

cp -L "$WORK/rootfs/vmlinuz" "$WORK/vmlinuz"
cp "$WORK/rootfs/boot/vmlab-initrd.img" "$WORK/initrd.img"
truncate -s "$DISK_SIZE" "$WORK/base.raw"
mkfs.ext4 -q -F -L vmlabroot -d "$WORK/rootfs" "$WORK/base.raw"
qemu-img convert -O qcow2 "$WORK/base.raw" "$WORK/base.qcow2"
rm -rf "$WORK/base.raw" "$WORK/rootfs"

# One boot of the image itself does what every VM would otherwise repeat on its
# first boot: import the docker images (slow under TCG), ldconfig, hwdb. No NIC;
# no sshd and no Open vSwitch (their identities are per VM); vmlab-bake powers off.
tbake=$SECONDS
timeout "$BAKE_TIMEOUT" qemu-system-x86_64 -name vmlab-bake -nodefaults -machine pc \
  -accel tcg,tb-size=256 -cpu max -smp 1 -m 1024 \
  -kernel "$WORK/vmlinuz" -initrd "$WORK/initrd.img" \
  -append "root=/dev/vda rw console=ttyS0 net.ifnames=0 apparmor=0 mitigations=off fsck.mode=skip vmlab.bake=1 systemd.mask=ssh.service systemd.mask=openvswitch-switch.service systemd.mask=ovsdb-server.service systemd.mask=ovs-vswitchd.service systemd.mask=networking.service" \
  -drive "file=$WORK/base.qcow2,if=virtio,format=qcow2,cache=writeback" \
  -device virtio-rng-pci -nic none -no-reboot \
  -display none -serial "file:$WORK/bake.log" -monitor none </dev/null \
  || { tail -n 40 "$WORK/bake.log" >&2; die "the bake boot failed or timed out (its console above)"; }
grep -q 'vmlab-bake: done' "$WORK/bake.log" \
  || { tail -n 40 "$WORK/bake.log" >&2; die "the bake boot ended without finishing vmlab-bake (its console above)"; }
echo "build-image: bake boot in $((SECONDS - tbake)) s" >&2
chmod 0444 "$WORK/base.qcow2"             # a backing file: VMs write to their overlays only
( cd "$HERE" && find build-image.sh image -type f | LC_ALL=C sort ) > "$WORK/recipe-files"
echo "built $(date -u +%FT%TZ) in $((SECONDS - t0)) s" > "$WORK/done"

rm -rf "$IMG"; mv "$WORK" "$IMG"
trap - EXIT
echo "build-image: image $IMG ($(du -sh "$IMG/base.qcow2" | cut -f1)) in $((SECONDS - t0)) s" >&2

# older images of this flavor (or from before flavors) that no running process
# (a lab's qemu, a mirror) still uses go
for d in "$CACHE"/*/; do
  d=${d%/}; [ "$d" = "$IMG" ] && continue
  [[ ${d##*/} =~ ^($FLAVOR-)?[0-9a-f]{16}$ ]] || continue
  [ -f "$d/done" ] || continue
  grep -qsF "$d/" /proc/[0-9]*/cmdline 2>/dev/null && continue
  rm -rf "$d"
done
echo "$IMG"
