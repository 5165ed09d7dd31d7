# arch-models: per-architecture cost data, installed under $(pkgdatadir)/arch-models.
dist_archmodels_DATA +=
dist_archmodels_DATA += %reldir%/x86_64.yaml %reldir%/arm64.yaml %reldir%/s390x.yaml \
	%reldir%/core2-2009.yaml
# zsmalloc cost tables read by `sim zsmalloc --arch NAME`.
zsarchdir = $(pkgdatadir)/arch-models/zsmalloc
dist_zsarch_DATA = %reldir%/zsmalloc/x86_64.yaml %reldir%/zsmalloc/arm64.yaml \
	%reldir%/zsmalloc/s390x.yaml %reldir%/zsmalloc/x86_64-2012.yaml \
	%reldir%/zsmalloc/armv7-2013.yaml
