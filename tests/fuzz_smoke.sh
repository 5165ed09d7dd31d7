#!/bin/sh
# fuzz_smoke.sh - make check's short run of the libFuzzer targets: each seed corpus
# replayed, then FUZZ_SMOKE_SECONDS of fuzzing per target (tests/fuzz/run.sh). Skips
# (77) with the reason where the targets are not built (they need clang: configure
# CC=clang --enable-fuzzers, or ./setup.sh fuzz).
bindir=$BUILDDIR/tests/fuzz
for pair in $FUZZ_PAIRS; do
	if [ ! -x "$bindir/${pair%%:*}" ]; then
		echo "SKIP: fuzz targets not built (configure CC=clang --enable-fuzzers;" \
			"./setup.sh fuzz)"
		exit 77
	fi
done
exec sh "$SRCDIR/tests/fuzz/run.sh" "$bindir" "$SRCDIR/tests/fuzz/corpus" \
	"${FUZZ_SMOKE_SECONDS:-2}" --smoke
