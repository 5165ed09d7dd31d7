# models: layer 1, pure (no I/O). Linked with libxxhash for the kernel's checksum.
noinst_LIBRARIES += %reldir%/libmodels.a
%canon_reldir%_libmodels_a_CFLAGS = $(AM_CFLAGS) $(XXHASH_CFLAGS)
%canon_reldir%_libmodels_a_SOURCES = \
	%reldir%/checksum.c %reldir%/checksum.h \
	%reldir%/content.c %reldir%/content.h \
	%reldir%/rbtree.c %reldir%/rbtree.h \
	%reldir%/ksm.c %reldir%/ksm_mm.c %reldir%/ksm_ctl.c %reldir%/ksm2009.c %reldir%/ksm.h %reldir%/ksm_int.h
%canon_reldir%_libmodels_a_SOURCES += %reldir%/cost_model.c %reldir%/cost_model.h
%canon_reldir%_libmodels_a_SOURCES += %reldir%/zsmalloc.c %reldir%/zsmalloc.h
