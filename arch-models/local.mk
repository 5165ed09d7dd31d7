# arch-models: per-architecture cost data, installed under $(pkgdatadir)/arch-models, and
# the code that measures a host for it (`sim calibrate`): libarchmodels.a.
noinst_LIBRARIES += %reldir%/libarchmodels.a
%canon_reldir%_libarchmodels_a_CFLAGS = $(AM_CFLAGS) $(GSL_CFLAGS)
%canon_reldir%_libarchmodels_a_SOURCES = \
	%reldir%/calibrate.c %reldir%/calibrate.h \
	%reldir%/fit.c %reldir%/fit.h \
	%reldir%/measure.h %reldir%/measure_util.c %reldir%/measure_mem.c \
	%reldir%/measure_sys.c %reldir%/measure_tree.c
EXTRA_DIST += %reldir%/.may_include
dist_archmodels_DATA += %reldir%/x86_64.yaml %reldir%/arm64.yaml %reldir%/s390x.yaml \
	%reldir%/core2-2009.yaml %reldir%/x86_64-kernel.yaml
# zsmalloc cost tables read by `sim zsmalloc --arch NAME`.
zsarchdir = $(pkgdatadir)/arch-models/zsmalloc
dist_zsarch_DATA = %reldir%/zsmalloc/x86_64.yaml %reldir%/zsmalloc/arm64.yaml \
	%reldir%/zsmalloc/s390x.yaml %reldir%/zsmalloc/x86_64-2012.yaml \
	%reldir%/zsmalloc/armv7-2013.yaml
