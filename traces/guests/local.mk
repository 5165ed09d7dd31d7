# traces/guests: real QEMU guests (TCG) merged by the real KSM, recorded and compared
# with the simulator (traces/guests/README.md). ks-nothp runs QEMU without THP.
noinst_PROGRAMS += %reldir%/ks-nothp
%canon_reldir%_ks_nothp_SOURCES = %reldir%/nothp.c
EXTRA_DIST += %reldir%/.may_include %reldir%/README.md %reldir%/run-guests.sh \
	%reldir%/fetch-kernel.sh %reldir%/mkinitramfs.sh %reldir%/replay-speed.sh

# make check-guests: 8 guests x 512 MiB, about 8 minutes (root, KSM, QEMU; skips with
# the reason otherwise: exit 77 of the script, printed, is not a failure of make);
# make check-guests-smoke: 2 guests x 128 MiB, the pipeline only (in .ci/run through
# ./setup.sh guests).
KS_GUESTS_RUN = $(SHELL) $(srcdir)/traces/guests/run-guests.sh \
	--sim $(abs_builddir)/sim/sim --nothp $(abs_builddir)/traces/guests/ks-nothp
KS_GUESTS_DEPS = sim/sim traces/guests/ks-nothp traces/guests/ks-trace-pages
check-guests: $(KS_GUESTS_DEPS)
	$(KS_GUESTS_RUN) --out $(abs_builddir)/guests-8x512 -n 8 -m 512 --duration 300; \
	rc=$$?; [ $$rc = 77 ] || exit $$rc
check-guests-smoke: $(KS_GUESTS_DEPS)
	$(KS_GUESTS_RUN) --out $(abs_builddir)/guests-smoke -n 2 -m 128 --duration 60 \
		--tasks sort,copy --pages-to-scan 2000 --smoke; rc=$$?; [ $$rc = 77 ] || exit $$rc
# make bench-replay: the replay of make check-guests' recorded run against the real
# ksmd's CPU for the same batches (median of 3; stored in guests-8x512/regress.db and
# bench.db, table guests_numbers); make bench runs it when that run exists.
KS_REPLAY_SPEED = $(SHELL) $(srcdir)/traces/guests/replay-speed.sh --sim $(abs_builddir)/sim/sim \
	--db $(abs_builddir)/bench.db $(abs_builddir)/guests-8x512
bench-replay: sim/sim
	$(KS_REPLAY_SPEED)
.PHONY: check-guests check-guests-smoke bench-replay

# ks-trace-pages: the distinct pages of a recorded trace, for the size baseline.
noinst_PROGRAMS += %reldir%/ks-trace-pages
%canon_reldir%_ks_trace_pages_SOURCES = %reldir%/pages.c
%canon_reldir%_ks_trace_pages_LDADD = traces/libtraces.a models/vocab/libvocab.a \
	models/base/libbase.a $(GSL_LIBS) $(XXHASH_LIBS)
