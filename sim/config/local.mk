# sim/config: layer 3, the YAML edges (libyaml only here): scenarios, arch models,
# zsmalloc models; one schema mechanism (schema.h), one file lookup (find_file.h).
noinst_LIBRARIES += %reldir%/libconfig.a
%canon_reldir%_libconfig_a_CFLAGS = $(AM_CFLAGS) $(YAML_CFLAGS)
%canon_reldir%_libconfig_a_SOURCES = \
	%reldir%/yaml_util.c %reldir%/yaml_util.h \
	%reldir%/units.c %reldir%/units.h \
	%reldir%/schema.c %reldir%/schema.h \
	%reldir%/find_file.c %reldir%/find_file.h \
	%reldir%/load_scenario.c %reldir%/load_scenario.h \
	%reldir%/load_arch.c %reldir%/load_arch.h \
	%reldir%/load_zsmalloc.c %reldir%/load_zsmalloc.h \
	%reldir%/load_reads.c %reldir%/load_reads.h
EXTRA_DIST += %reldir%/.may_include
