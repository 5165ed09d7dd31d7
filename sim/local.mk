# sim: layer 7, the command line: main() and one cmd_*.c per command.
noinst_LIBRARIES += %reldir%/libsim.a
%canon_reldir%_libsim_a_CFLAGS = $(AM_CFLAGS) $(GSL_CFLAGS)
%canon_reldir%_libsim_a_SOURCES = \
	%reldir%/cli.h %reldir%/cli_opts.c %reldir%/cli_opts.h \
	%reldir%/cmd_trace.c \
	%reldir%/cmd_report.c \
	%reldir%/cost_report.c %reldir%/cost_report.h \
	%reldir%/calib_kernel.c %reldir%/calib_kernel.h \
	%reldir%/sweep_plan.c %reldir%/sweep_plan.h

bin_PROGRAMS += %reldir%/sim
%canon_reldir%_sim_CFLAGS = $(AM_CFLAGS) $(YAML_CFLAGS) $(SQLITE_CFLAGS) $(GSL_CFLAGS)
KS_ALL_LIBS = sim/libsim.a arch-models/libarchmodels.a reports/libreports.a sim/results/libresults.a \
	sim/engine/libengine.a sim/config/libconfig.a traces/libtraces.a models/libmodels.a \
	models/vocab/libvocab.a models/base/libbase.a \
	$(YAML_LIBS) $(SQLITE_LIBS) $(GSL_LIBS) $(XXHASH_LIBS) $(LIBS)
%canon_reldir%_sim_LDADD = $(KS_ALL_LIBS)
%canon_reldir%_sim_SOURCES = %reldir%/main.c \
	%reldir%/cmd_run.c %reldir%/cmd_bench.c %reldir%/cmd_calibrate.c \
	%reldir%/cmd_record_kernel.c %reldir%/cmd_record.c %reldir%/cmd_regress.c %reldir%/cmd_validate_timing.c \
	%reldir%/cmd_sweep.c %reldir%/cmd_zsmalloc.c %reldir%/cmd_zram_validate.c %reldir%/cmd_db.c \
	%reldir%/cmd_compare.c %reldir%/cmd_advise.c \
	%reldir%/cmd_bench_sweep.c
dist_man_MANS += %reldir%/sim.1
EXTRA_DIST += %reldir%/.may_include
