#!/usr/bin/env bash
# setup.sh - install what ksmsim needs (Debian 12), build it, and run the main job or
# the tests. Idempotent; run as root (or with sudo available).
#
#   ./setup.sh run     deps + build + install, then `sim --scenario 8vms.yaml --report`
#   ./setup.sh test    deps + build, then `make check` and `make distcheck`
#   ./setup.sh build   deps + build only (build tree: ./build)
#   ./setup.sh bench   deps + build, then `make bench`
#   ./setup.sh html    also Chromium, then the HTML report test (headless Chromium)
#   ./setup.sh slurm   also Slurm and munge, then `make check-slurm` (root)
#   ./setup.sh fuzz    also clang + libFuzzer, a build in build-fuzz (--enable-fuzzers),
#                      then the fuzz smoke (FUZZ_SECONDS=N: `make fuzz` for N s a target)
#   ./setup.sh guests  also QEMU, busybox-static and Debian's cloud kernel (downloaded,
#                      not installed), then `make check-guests-smoke` (root, KSM)
#   ./setup.sh deps    Debian packages only
set -euo pipefail
cd "$(dirname "$0")"
top=$PWD

# parallel: GNU parallel, for the sweep recipe test (tests/parallel.sh)
packages=(build-essential autoconf automake pkg-config libgsl-dev libsqlite3-dev
	libyaml-dev check libxxhash-dev libzstd-dev zlib1g-dev sqlite3 parallel liblzo2-dev liblz4-dev)

as_root() {
	if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

deps() {
	local missing=()
	for p in "${packages[@]}" "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
			missing+=("$p")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		echo "setup: installing ${missing[*]}"
		as_root apt-get update -qq
		as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
	fi
}

build() {
	deps
	[ -x configure ] && [ configure -nt configure.ac ] || ./autogen.sh >/dev/null 2>&1
	mkdir -p build
	cd build
	[ -f Makefile ] || ../configure -q ${KS_CONFIGURE_FLAGS:-}
	make -s -j"$(nproc)"
	cd "$top"
}

case "${1:-build}" in
deps) deps ;;
build) build ;;
run)
	build
	as_root make -s -C build install >/dev/null
	mkdir -p results
	cd results
	sim --scenario 8vms.yaml --report
	;;
test)
	build
	make -s -C build check
	make -s -C build distcheck
	;;
bench)
	build
	make -s -C build bench
	;;
html)
	deps chromium
	build
	make -s -C build check TESTS=tests/html.sh
	;;
slurm)
	deps slurmctld slurmd slurm-client munge
	build
	make -s -C build check-slurm
	;;
fuzz)
	# clang and its libFuzzer runtime (Debian 12: clang 14)
	deps clang libclang-rt-14-dev
	build
	mkdir -p build-fuzz
	cd build-fuzz
	[ -f Makefile ] || ../configure -q CC=clang --enable-fuzzers
	make -s -j"$(nproc)"
	if [ -n "${FUZZ_SECONDS:-}" ]; then
		make -s fuzz FUZZ_SECONDS="$FUZZ_SECONDS"
	else
		make -s check TESTS=tests/fuzz_smoke.sh
	fi
	;;
guests)
	# QEMU guests under TCG (no /dev/kvm needed); the kernel image is unpacked into
	# the cache, not installed (traces/guests/README.md)
	deps qemu-system-x86 busybox-static cpio zstd
	build
	traces/guests/fetch-kernel.sh "${KS_GUESTS_CACHE:-/var/cache/ksmsim-guests}" ||
		echo "setup: no guest kernel; the smoke will say it skips"
	make -s -C build check-guests-smoke
	;;
*)
	echo "usage: $0 [deps|build|run|test|bench|html|slurm|fuzz|guests]" >&2
	exit 2
	;;
esac
