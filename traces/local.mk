# traces: layer 1, trace formats, readers/writers and synthetic generators (GSL, stdio).
noinst_LIBRARIES += %reldir%/libtraces.a
%canon_reldir%_libtraces_a_CFLAGS = $(AM_CFLAGS) $(GSL_CFLAGS)
%canon_reldir%_libtraces_a_SOURCES = \
	%reldir%/trace.h
%canon_reldir%_libtraces_a_SOURCES += \
	%reldir%/trace_io.c %reldir%/trace_io.h \
	%reldir%/gen.c %reldir%/gen.h
%canon_reldir%_libtraces_a_SOURCES += %reldir%/kernel_trace.c %reldir%/kernel_trace.h
