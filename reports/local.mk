# reports: layer 6, reads results databases (SQLite only).
noinst_LIBRARIES += %reldir%/libreports.a
%canon_reldir%_libreports_a_CFLAGS = $(AM_CFLAGS) $(SQLITE_CFLAGS)
%canon_reldir%_libreports_a_SOURCES = %reldir%/report.c %reldir%/report.h \
	%reldir%/report_int.h %reldir%/sweep_report.c \
	%reldir%/html.c %reldir%/svg.c %reldir%/svg.h %reldir%/json.c \
	%reldir%/compare.c %reldir%/advise.c %reldir%/sql_report.c \
	%reldir%/converge.c %reldir%/converge.h
EXTRA_DIST += %reldir%/.may_include
