#!/bin/sh
# bench_growth.sh - `make bench-growth`: how the simulator's time and memory grow with
# the number of simulated pages (2 VMs of 64 MiB ... 4 GiB) and with the number of
# processes (2 ... 64 VMs of 64 MiB). Each point is bench-64x4g's guest (half a shared
# OS image, 30% zero pages, the rest private) with use_zero_pages, run until the
# counters stay unchanged for 3 full scans (stop_when_stable), through `sim bench` (so
# every point is printed and stored in the bench table of $DB). Prints one table per
# series and the exponent b of a least-squares fit of log(y) = a + b log(pages) for CPU
# time, wall time and peak RSS (b = 1: linear; n log n over this range fits b ~ 1.05).
# Timings are the run process's own (CPU = user + system); the machine may be shared:
# read the CPU column and the load.
set -u
: "${SIM:?SIM not set}"
DB=${DB:-bench.db}
REPEATS=${REPEATS:-1}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench_growth.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT INT TERM

point() { # name count size_mib
	cat > "$tmp/$1.yaml" <<EOF
name: $1
seed: 64
arch: x86_64
duration: 36000s
stop_when_stable: true
stable_scans: 3
sample:
  interval: 10s
  processes: false
ksm:
  pages_to_scan: 200000
  sleep_millisecs: 20
  use_zero_pages: true
processes:
  - name: vm
    count: $2
    regions:
      - name: ram
        size: $3MiB
        contents:
          - fraction: 0.5
            content: {kind: image, image: guest-os}
          - fraction: 0.3
            content: {kind: zero}
          - rest: true
            content: {kind: random}
EOF
	"$SIM" bench --db "$DB" --repeats "$REPEATS" "$tmp/$1.yaml" | grep ' median ' |
		sed "s|$tmp/||; s|\.yaml||"
}

# Least-squares slope of log(column $2) against log(column $1) of stdin.
fit() {
	awk '$1 > 0 && $2 > 0 { x = log($1); y = log($2); n++; sx += x; sy += y;
		sxx += x * x; sxy += x * y }
	END { if (n < 2) { print "n/a"; exit } printf "%.3f\n",
		(n * sxy - sx * sy) / (n * sxx - sx * sx) }'
}

series() { # title, then lines "name count size_mib"
	title=$1; shift
	out="$tmp/series.txt"; : > "$out"
	echo "## $title"
	printf '%-22s %10s %9s %9s %9s %8s %8s %7s %6s\n' point pages scanned cpu_s wall_s \
		ns/scan rss_MiB B/page load
	while [ $# -ge 3 ]; do
		row=$(point "$1" "$2" "$3") || exit 2
		[ -n "$row" ] || { echo "bench_growth: $1: no result" >&2; exit 2; }
		echo "$row" | awk '{ printf "%-22s %10s %9s %9s %9s %8.1f %8s %7s %6s\n",
			$1, $3, $4, $7, $6, $7 * 1e9 / $4, $12, $13, $14 }'
		echo "$row" | awk '{ print $3, $7, $6, $12 }' >> "$out"
		shift 3
	done
	echo "fitted exponent b (y ~ pages^b): cpu $(awk '{print $1, $2}' "$out" | fit)," \
		"wall $(awk '{print $1, $3}' "$out" | fit), rss $(awk '{print $1, $4}' "$out" | fit)"
	echo
}

series "pages: 2 VMs of 64 MiB ... 4 GiB" \
	g2x64m 2 64  g2x128m 2 128  g2x256m 2 256  g2x512m 2 512 \
	g2x1g 2 1024  g2x2g 2 2048  g2x4g 2 4096
series "processes: 2 ... 64 VMs of 64 MiB" \
	g2p 2 64  g4p 4 64  g8p 8 64  g16p 16 64  g32p 32 64  g64p 64 64
