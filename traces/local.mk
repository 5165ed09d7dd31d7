# traces: layer 2, workload inputs: the scenario structs, page-write trace formats and
# their readers/writers, the synthetic generator, kernel traces, and the recorders of
# the real kernel (GSL, stdio, system calls).
noinst_LIBRARIES += %reldir%/libtraces.a
%canon_reldir%_libtraces_a_CFLAGS = $(AM_CFLAGS) $(GSL_CFLAGS)
%canon_reldir%_libtraces_a_SOURCES = \
	%reldir%/scenario.c %reldir%/scenario.h \
	%reldir%/trace.h \
	%reldir%/trace_io.c %reldir%/trace_io.h %reldir%/trace_int.h \
	%reldir%/trace_rec.c %reldir%/trace_bin.c %reldir%/trace_text.c \
	%reldir%/gen.c %reldir%/gen.h \
	%reldir%/kernel_trace.c %reldir%/kernel_trace_io.c %reldir%/kernel_trace.h \
	%reldir%/ktrace_replay.c %reldir%/ktrace_replay.h \
	%reldir%/record_kernel.c %reldir%/record_kernel.h \
	%reldir%/record_proc.c %reldir%/record_proc.h \
	%reldir%/page_dict.c %reldir%/page_dict.h \
	%reldir%/import_mem.c %reldir%/import_mem.h \
	%reldir%/ksm_sysfs.c %reldir%/ksm_sysfs.h %reldir%/tracefs.c %reldir%/tracefs.h \
	%reldir%/zram_dev.c %reldir%/zram_dev.h \
	%reldir%/machine_state.c %reldir%/machine_state.h
EXTRA_DIST += %reldir%/.may_include
