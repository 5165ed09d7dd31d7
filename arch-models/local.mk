# arch-models: per-architecture cost data, installed under $(pkgdatadir)/arch-models.
dist_archmodels_DATA +=
dist_archmodels_DATA += %reldir%/x86_64.yaml %reldir%/arm64.yaml %reldir%/s390x.yaml \
	%reldir%/core2-2009.yaml
