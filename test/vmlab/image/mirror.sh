#!/bin/bash
# mmdebstrap customize step of the bare image: the signed Debian repository the lab
# serves to bare VMs. It holds exactly what installing PACKAGES on this rootfs
# needs (resolved by the rootfs's own apt, so the dependency closure is that of a
# bare VM), laid out like a Debian mirror (dists/bookworm/main, pool/main), with
# InRelease signed by a key made for this image; the rootfs trusts that key only
# for this repository (the Signed-By of the sources vmlab-init writes).
# Usage: mirror.sh ROOTFS MIRRORDIR PACKAGE...
set -euo pipefail
R=$1 M=$2; shift 2
SUITE=bookworm

chroot "$R" apt-get install --download-only -y -q --no-install-recommends "$@" >&2
mkdir -p "$M/pool/main" "$M/dists/$SUITE/main/binary-amd64"
mv "$R"/var/cache/apt/archives/*.deb "$M/pool/main/"

( cd "$M"
  apt-ftparchive packages pool > "dists/$SUITE/main/binary-amd64/Packages"
  gzip -9 -k "dists/$SUITE/main/binary-amd64/Packages"
  apt-ftparchive -o APT::FTPArchive::Release::Origin=pulumi-onprem-vmlab \
    -o APT::FTPArchive::Release::Suite=$SUITE -o APT::FTPArchive::Release::Codename=$SUITE \
    -o APT::FTPArchive::Release::Components=main -o APT::FTPArchive::Release::Architectures=amd64 \
    release "dists/$SUITE" > "dists/$SUITE/Release" )

# A signing key of its own; its agent is ended (by its home) once the files are signed.
export GNUPGHOME; GNUPGHOME=$(mktemp -d)
trap 'gpgconf --kill all 2>/dev/null || true; rm -rf "$GNUPGHOME"' EXIT
gpg --batch -q --pinentry-mode loopback --passphrase '' \
  --quick-gen-key 'pulumi-onprem VM lab mirror' ed25519 sign never
gpg --batch -q --yes --clearsign -o "$M/dists/$SUITE/InRelease" "$M/dists/$SUITE/Release"
gpg --batch -q --yes -abs -o "$M/dists/$SUITE/Release.gpg" "$M/dists/$SUITE/Release"
install -d -m 0755 "$R/etc/apt/keyrings"
gpg --batch -q --export > "$R/etc/apt/keyrings/vmlab-mirror.gpg"
cp "$R/etc/apt/keyrings/vmlab-mirror.gpg" "$M/vmlab-mirror.gpg"
echo "mirror: $(ls "$M/pool/main" | wc -l) packages, $(du -sh "$M/pool" | cut -f1)" >&2
