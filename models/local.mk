# models: layer 2, pure (no I/O): the red-black tree, KSM (Linux 6.18 and 2009), the
# cost model, zsmalloc, zram and its compressors.
noinst_LIBRARIES += %reldir%/libmodels.a
%canon_reldir%_libmodels_a_SOURCES = \
	%reldir%/rbtree.c %reldir%/rbtree.h %reldir%/irbtree.c %reldir%/irbtree.h \
	%reldir%/ipool.c %reldir%/ipool.h \
	%reldir%/ksm.h %reldir%/ksm_int.h %reldir%/ksm_mm.c %reldir%/ksm_scan.c \
	%reldir%/ksm_stable.c %reldir%/ksm_unstable.c %reldir%/ksm_merge.c %reldir%/ksm_ctl.c \
	%reldir%/ksm2009.c \
	%reldir%/cost_model.c %reldir%/cost_model.h \
	%reldir%/zsmalloc.c %reldir%/zsmalloc.h \
	%reldir%/compress.c %reldir%/compress.h %reldir%/zram.c %reldir%/zram.h \
	%reldir%/reads.c %reldir%/reads.h
%canon_reldir%_libmodels_a_CPPFLAGS = $(AM_CPPFLAGS) $(LZ4_CFLAGS) $(ZSTD_CFLAGS)
EXTRA_DIST += %reldir%/.may_include
