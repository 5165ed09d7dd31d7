# sim: engine, glue, edges (libyaml, SQLite) and the command line.
noinst_LIBRARIES += %reldir%/libsim.a
%canon_reldir%_libsim_a_CFLAGS = $(AM_CFLAGS) $(YAML_CFLAGS) $(SQLITE_CFLAGS) $(GSL_CFLAGS)
%canon_reldir%_libsim_a_SOURCES = \
	%reldir%/sink.h

bin_PROGRAMS += %reldir%/sim
%canon_reldir%_sim_SOURCES = %reldir%/main.c
%canon_reldir%_sim_CFLAGS = $(AM_CFLAGS) $(YAML_CFLAGS) $(SQLITE_CFLAGS) $(GSL_CFLAGS)
KS_ALL_LIBS = sim/libsim.a reports/libreports.a traces/libtraces.a models/libmodels.a \
	sim/base/libbase.a $(YAML_LIBS) $(SQLITE_LIBS) $(GSL_LIBS) $(XXHASH_LIBS) $(LIBS)
%canon_reldir%_sim_LDADD = $(KS_ALL_LIBS)
%canon_reldir%_libsim_a_SOURCES += \
	%reldir%/cli.h \
	%reldir%/yaml_util.c %reldir%/yaml_util.h \
	%reldir%/load_scenario.c %reldir%/load_scenario.h \
	%reldir%/sink_sqlite.c \
	%reldir%/cmd_trace.c \
	%reldir%/cmd_report.c
%canon_reldir%_libsim_a_SOURCES += \
	%reldir%/engine.c %reldir%/engine.h \
	%reldir%/world.c %reldir%/world.h \
	%reldir%/cost_hooks.c %reldir%/cost_hooks.h
%canon_reldir%_sim_SOURCES += %reldir%/cmd_run.c %reldir%/cmd_bench.c
dist_man_MANS += %reldir%/sim.1
%canon_reldir%_libsim_a_SOURCES += \
	%reldir%/load_arch.c %reldir%/load_arch.h \
	%reldir%/cost_report.c %reldir%/cost_report.h \
	%reldir%/cost_fit.c %reldir%/cost_fit.h
%canon_reldir%_sim_SOURCES += %reldir%/cmd_calibrate.c
%canon_reldir%_libsim_a_SOURCES += %reldir%/recorder.c %reldir%/recorder.h
%canon_reldir%_sim_SOURCES += %reldir%/cmd_record_kernel.c %reldir%/cmd_regress.c
%canon_reldir%_sim_SOURCES += %reldir%/cmd_validate_timing.c
%canon_reldir%_sim_SOURCES += %reldir%/cmd_sweep.c
%canon_reldir%_sim_SOURCES += %reldir%/cmd_zsmalloc.c
%canon_reldir%_libsim_a_SOURCES += %reldir%/ktrace_replay.c %reldir%/ktrace_replay.h
