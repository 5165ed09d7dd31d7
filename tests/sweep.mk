# tests/sweep.mk: sweeps (included by tests/local.mk): the plan, the sweep tables and
# v_sweep's statistics (Check), and `sim sweep` / `sim db merge` end to end.
check_PROGRAMS += tests/check_sweep
TESTS += tests/check_sweep
tests_check_sweep_SOURCES = tests/check_sweep.c tests/check_main.c tests/tmpdir.c \
	tests/tmpdir.h
tests_check_sweep_CFLAGS = $(KS_CHECK_CFLAGS) $(SQLITE_CFLAGS) $(GSL_CFLAGS)
tests_check_sweep_LDADD = $(KS_FULL_TEST_LIBS)
TESTS += tests/sweep.sh
EXTRA_DIST += tests/sweep.sh
# The GNU parallel recipes (skipped without parallel).
TESTS += tests/parallel.sh
EXTRA_DIST += tests/parallel.sh
# make check-slurm: the Slurm job-array recipe on a private single-node cluster (root,
# Debian slurmctld slurmd slurm-client munge; says why when it skips).
EXTRA_DIST += tests/slurm.sh
check-slurm: sim/sim
	@SIM="$(abs_builddir)/sim/sim" SRCDIR="$(abs_srcdir)" $(SHELL) $(srcdir)/tests/slurm.sh; \
	rc=$$?; if [ $$rc = 77 ]; then echo "check-slurm: skipped"; exit 0; fi; exit $$rc
.PHONY: check-slurm
