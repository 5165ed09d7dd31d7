# tests/fuzz: libFuzzer targets for every reader of user input (configure
# --enable-fuzzers, with clang; HACKING.md "Fuzzing"). `make fuzz` runs each for
# FUZZ_SECONDS (default 60) on its corpus (campaign.sh: one target for 1 M executions or
# 30 min, in segments); `make check` runs tests/fuzz_smoke.sh: the
# seed corpora replayed and FUZZ_SMOKE_SECONDS (default 2) of fuzzing per target, or a
# skip (77) where the targets are not built.
# Each target reads corpus folders named in FUZZ_PAIRS (program:corpus).
FUZZ_PAIRS = fuzz_trace:trace_text fuzz_trace:trace_bin fuzz_world:world \
	fuzz_scenario:scenario fuzz_set:set fuzz_arch:arch fuzz_zsmalloc:zsmalloc fuzz_ktrace:ktrace
FUZZ_SECONDS = 60
FUZZ_SMOKE_SECONDS = 2
EXTRA_DIST += %reldir%/.may_include %reldir%/corpus %reldir%/run.sh %reldir%/campaign.sh %reldir%/fuzz.h %reldir%/fuzz_util.c \
	%reldir%/fuzz_sim.c %reldir%/fuzz_trace.c %reldir%/fuzz_world.c %reldir%/fuzz_scenario.c \
	%reldir%/fuzz_set.c %reldir%/fuzz_arch.c %reldir%/fuzz_zsmalloc.c %reldir%/fuzz_ktrace.c
TESTS += tests/fuzz_smoke.sh
EXTRA_DIST += tests/fuzz_smoke.sh
AM_TESTS_ENVIRONMENT += export FUZZ_PAIRS="$(FUZZ_PAIRS)"; \
	export FUZZ_SMOKE_SECONDS="$(FUZZ_SMOKE_SECONDS)";

if FUZZERS
KS_FUZZ_LINK = $(AM_LDFLAGS) -fsanitize=fuzzer
KS_FUZZ_LIBS = $(KS_ALL_LIBS)
# sim's commands in-process: main() renamed, for the command-line targets
noinst_LIBRARIES += %reldir%/libsimcli.a
%canon_reldir%_libsimcli_a_CPPFLAGS = $(AM_CPPFLAGS) -Dmain=ks_sim_main
%canon_reldir%_libsimcli_a_CFLAGS = $(AM_CFLAGS) $(GSL_CFLAGS) -Wno-missing-prototypes
%canon_reldir%_libsimcli_a_SOURCES = $(sim_sim_SOURCES)
noinst_PROGRAMS += %reldir%/fuzz_trace %reldir%/fuzz_world %reldir%/fuzz_scenario \
	%reldir%/fuzz_set %reldir%/fuzz_arch %reldir%/fuzz_zsmalloc %reldir%/fuzz_ktrace
%canon_reldir%_fuzz_trace_SOURCES = %reldir%/fuzz_trace.c %reldir%/fuzz_util.c
%canon_reldir%_fuzz_trace_LDFLAGS = $(KS_FUZZ_LINK)
%canon_reldir%_fuzz_trace_LDADD = $(KS_FUZZ_LIBS)
%canon_reldir%_fuzz_world_SOURCES = %reldir%/fuzz_world.c %reldir%/fuzz_util.c
%canon_reldir%_fuzz_world_LDFLAGS = $(KS_FUZZ_LINK)
%canon_reldir%_fuzz_world_LDADD = $(KS_FUZZ_LIBS)
%canon_reldir%_fuzz_scenario_SOURCES = %reldir%/fuzz_scenario.c %reldir%/fuzz_util.c
%canon_reldir%_fuzz_scenario_LDFLAGS = $(KS_FUZZ_LINK)
%canon_reldir%_fuzz_scenario_LDADD = $(KS_FUZZ_LIBS)
%canon_reldir%_fuzz_arch_SOURCES = %reldir%/fuzz_arch.c %reldir%/fuzz_util.c
%canon_reldir%_fuzz_arch_LDFLAGS = $(KS_FUZZ_LINK)
%canon_reldir%_fuzz_arch_LDADD = $(KS_FUZZ_LIBS)
%canon_reldir%_fuzz_zsmalloc_SOURCES = %reldir%/fuzz_zsmalloc.c %reldir%/fuzz_util.c
%canon_reldir%_fuzz_zsmalloc_LDFLAGS = $(KS_FUZZ_LINK)
%canon_reldir%_fuzz_zsmalloc_LDADD = $(KS_FUZZ_LIBS)
%canon_reldir%_fuzz_set_SOURCES = %reldir%/fuzz_set.c %reldir%/fuzz_util.c \
	%reldir%/fuzz_sim.c
%canon_reldir%_fuzz_set_LDFLAGS = $(KS_FUZZ_LINK)
%canon_reldir%_fuzz_set_LDADD = %reldir%/libsimcli.a $(KS_FUZZ_LIBS)
%canon_reldir%_fuzz_ktrace_SOURCES = %reldir%/fuzz_ktrace.c %reldir%/fuzz_util.c \
	%reldir%/fuzz_sim.c
%canon_reldir%_fuzz_ktrace_LDFLAGS = $(KS_FUZZ_LINK)
%canon_reldir%_fuzz_ktrace_LDADD = %reldir%/libsimcli.a $(KS_FUZZ_LIBS)

fuzz: $(noinst_PROGRAMS)
	@FUZZ_PAIRS="$(FUZZ_PAIRS)" $(SHELL) $(srcdir)/tests/fuzz/run.sh \
		$(abs_builddir)/tests/fuzz $(abs_srcdir)/tests/fuzz/corpus $(FUZZ_SECONDS)
else
fuzz:
	@echo "make fuzz: the fuzz targets are not built; configure with CC=clang" \
		"--enable-fuzzers (./setup.sh fuzz does it in build-fuzz)" >&2; exit 2
endif
.PHONY: fuzz
