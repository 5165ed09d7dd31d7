#!/usr/bin/env bash
# mkinitramfs.sh OUT - writes a gzip'd cpio (newc) initramfs for the ksmsim guests:
# busybox-static and an /init that runs the task named on the kernel command line
# (ksmsim.task=boot|sort|copy|random, ksmsim.mb=MiB, ksmsim.seed=N), prints
# "KSMSIM-BOOTED <uptime>" and "KSMSIM-DONE <uptime>" on the console, then idles.
# Needs busybox-static (/bin/busybox), cpio and gzip. Deterministic: the same busybox
# gives the same bytes (fixed mtimes, sorted names).
set -euo pipefail
out=${1:?usage: mkinitramfs.sh OUT}
bb=/bin/busybox
[ -x "$bb" ] || { echo "mkinitramfs: $bb missing (apt-get install busybox-static)" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp"/{bin,dev,proc,sys,tmp,data}
cp "$bb" "$tmp/bin/busybox"
cat > "$tmp/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
task=boot mb=16 seed=1
for a in $(cat /proc/cmdline); do
	case $a in
	ksmsim.task=*) task=${a#*=} ;;
	ksmsim.mb=*) mb=${a#*=} ;;
	ksmsim.seed=*) seed=${a#*=} ;;
	esac
done
say() { echo "$1 $(cut -d' ' -f1 /proc/uptime) task=$task" > /dev/console; }
say KSMSIM-BOOTED
case $task in
boot) ;;
sort)
	# text files in the page cache (rootfs), then sorted and compressed copies: the
	# same bytes in every guest that runs it
	n=$((mb * 1024 * 1024 / 8))
	seq 1 $n > /data/seq.txt
	sort -r /data/seq.txt > /data/seq.sorted
	gzip -c /data/seq.sorted > /data/seq.gz
	md5sum /data/* > /data/sums
	;;
copy)
	# copies of the busybox binary (identical pages within and across guests)
	i=0
	while [ $((i * 2)) -lt "$mb" ]; do
		cp /bin/busybox /data/bb.$i
		i=$((i + 1))
	done
	tar cf /data/all.tar /data/bb.* /bin/busybox
	;;
random)
	# unique pages: nothing to merge
	dd if=/dev/urandom of=/data/random bs=1M count="$mb" 2>/dev/null
	md5sum /data/random > /data/sums
	;;
*) echo "ksmsim: unknown task $task" > /dev/console ;;
esac
sync
say KSMSIM-DONE
while :; do sleep 3600; done
INIT
chmod 755 "$tmp/init"
find "$tmp" -exec touch -h -d @0 {} +
(cd "$tmp" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) | gzip -9 -n > "$out.tmp"
mv "$out.tmp" "$out"
