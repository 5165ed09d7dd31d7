#!/usr/bin/env bash
# fetch-kernel.sh DIR - puts Debian's cloud kernel (linux-image-cloud-amd64's current
# linux-image-*-cloud-amd64) into DIR/vmlinuz, without installing it: `apt-get download`
# and `dpkg-deb -x`. Idempotent: an existing DIR/vmlinuz is kept. Needs apt (Debian 12).
set -euo pipefail
dir=${1:?usage: fetch-kernel.sh DIR}
mkdir -p "$dir"
[ -s "$dir/vmlinuz" ] && exit 0
pkg=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null |
	awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
if [ -z "$pkg" ]; then
	echo "fetch-kernel: apt-cache knows no linux-image-cloud-amd64 (run apt-get update)" >&2
	exit 2
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# apt-get download writes into the current folder; as root it warns that _apt cannot
# read a private temporary folder: make it readable.
chmod 755 "$tmp"
(cd "$tmp" && apt-get download -q "$pkg" >/dev/null 2>&1) || {
	echo "fetch-kernel: apt-get download $pkg failed" >&2
	exit 2
}
dpkg-deb -x "$tmp"/"$pkg"_*.deb "$tmp/x"
img=$(ls "$tmp"/x/boot/vmlinuz-* | head -1)
cp "$img" "$dir/vmlinuz.tmp"
echo "${img##*/vmlinuz-}" > "$dir/kernel-release"
mv "$dir/vmlinuz.tmp" "$dir/vmlinuz"
