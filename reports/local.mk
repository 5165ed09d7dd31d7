# reports: layer 2, reads results databases (SQLite only).
noinst_LIBRARIES += %reldir%/libreports.a
%canon_reldir%_libreports_a_CFLAGS = $(AM_CFLAGS) $(SQLITE_CFLAGS)
%canon_reldir%_libreports_a_SOURCES = %reldir%/report.c %reldir%/report.h \
	%reldir%/bench.c %reldir%/bench.h \
	%reldir%/regress_db.c %reldir%/regress_db.h \
	%reldir%/sweep_db.c %reldir%/sweep_db.h
%canon_reldir%_libreports_a_SOURCES += %reldir%/cost_db.c %reldir%/cost_db.h
