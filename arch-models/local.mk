# arch-models: per-architecture cost data, installed under $(pkgdatadir)/arch-models.
dist_archmodels_DATA +=
