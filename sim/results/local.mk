# sim/results: layer 5, the results database (SQLite): the schema and every writer.
noinst_LIBRARIES += %reldir%/libresults.a
%canon_reldir%_libresults_a_CFLAGS = $(AM_CFLAGS) $(SQLITE_CFLAGS) $(GSL_CFLAGS)
%canon_reldir%_libresults_a_SOURCES = \
	%reldir%/schema.h %reldir%/db.c %reldir%/db.h \
	%reldir%/run_db.c %reldir%/run_db.h \
	%reldir%/bench.c %reldir%/bench.h \
	%reldir%/regress_db.c %reldir%/regress_db.h \
	%reldir%/sweep_db.c %reldir%/sweep_db.h \
	%reldir%/cost_db.c %reldir%/cost_db.h \
	%reldir%/reads_db.c %reldir%/reads_db.h \
	%reldir%/merge_db.c %reldir%/merge_db.h
EXTRA_DIST += %reldir%/.may_include
