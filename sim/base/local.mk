# sim/base: layer 0, libc only.
noinst_LIBRARIES += %reldir%/libbase.a
%canon_reldir%_libbase_a_SOURCES = \
	%reldir%/status.c %reldir%/status.h \
	%reldir%/xalloc.c %reldir%/xalloc.h \
	%reldir%/simtime.h \
	%reldir%/heap.c %reldir%/heap.h \
	%reldir%/scenario.c %reldir%/scenario.h \
	%reldir%/results_schema.h %reldir%/debug.h
