#!/bin/bash
# Makes the lab's docker images as tarballs for `docker import`, from binaries in
# the VM image's rootfs (no docker, no registry needed on the machine):
#   registry.tar  registry:2, Debian's docker-registry laid out like the upstream
#                 image (/bin/registry, /entrypoint.sh, /etc/docker/registry/config.yml)
#   busybox.tar   onprem-test/busybox:latest, busybox-static with every applet
#                 (sh, ping, nc, httpd, wget ...)
# Usage: docker-images.sh ROOTFS OUTDIR [REGISTRY_DEB]
# (REGISTRY_DEB: take docker-registry from that package when ROOTFS lacks it)
set -euo pipefail
R=$1 OUT=$2 REGISTRY_DEB=${3:-}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
mkdir -p "$OUT"

# a root filesystem skeleton with busybox as /bin/sh and friends
skeleton() {
  local d=$1 a
  mkdir -p "$d"/{bin,etc,tmp,var,root,proc,sys,dev}
  chmod 1777 "$d/tmp"
  cp "$R/bin/busybox" "$d/bin/busybox"
  for a in $(chroot "$R" /bin/busybox --list); do
    [ "$a" = busybox ] || ln -sf busybox "$d/bin/$a"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$d/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' > "$d/etc/group"
}
pack() { tar -C "$1" --numeric-owner --owner=0 --group=0 -cf "$2" .; }

# busybox test image
skeleton "$T/busybox"
mkdir -p "$T/busybox/var/www"
pack "$T/busybox" "$OUT/busybox.tar"

# registry:2; copy the shared libraries if the binary is not static
g=$T/registry
skeleton "$g"
bin=/usr/bin/docker-registry
if [ -n "$REGISTRY_DEB" ]; then
  # ldd runs in the rootfs (its libc): the binary goes there for as long as that takes
  dpkg-deb -x "$REGISTRY_DEB" "$T/deb"
  bin=/tmp/vmlab-docker-registry
  cp "$T/deb/usr/bin/docker-registry" "$R$bin"
fi
cp "$R$bin" "$g/bin/registry"
mkdir -p "$g/usr/bin"; ln -s /bin/registry "$g/usr/bin/docker-registry"
if chroot "$R" ldd "$bin" >"$T/ldd" 2>&1; then
  for lib in $(grep -o '/[^ ]*' "$T/ldd"); do
    mkdir -p "$g$(dirname "$lib")"
    cp -L "$R$lib" "$g$lib"
  done
fi
install -D -m 0644 "$HERE/registry-config.yml" "$g/etc/docker/registry/config.yml"
install -m 0755 "$HERE/registry-entrypoint.sh" "$g/entrypoint.sh"
mkdir -p "$g/var/lib/registry"
# TLS to other registries (proxy mode) would need the CA bundle
[ ! -f "$R/etc/ssl/certs/ca-certificates.crt" ] \
  || install -D -m 0644 "$R/etc/ssl/certs/ca-certificates.crt" "$g/etc/ssl/certs/ca-certificates.crt"
[ -z "$REGISTRY_DEB" ] || rm -f "$R$bin"
pack "$g" "$OUT/registry.tar"
ls -l "$OUT" >&2
