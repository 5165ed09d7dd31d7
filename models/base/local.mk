# models/base: layer 0, libc only: status codes, allocation, simulated time, the heap.
noinst_LIBRARIES += %reldir%/libbase.a
%canon_reldir%_libbase_a_SOURCES = \
	%reldir%/status.c %reldir%/status.h \
	%reldir%/xalloc.c %reldir%/xalloc.h \
	%reldir%/simtime.h \
	%reldir%/heap.c %reldir%/heap.h \
	%reldir%/debug.h
EXTRA_DIST += %reldir%/.may_include
