# models/vocab: layer 1, the vocabulary models and traces share: page contents (exact
# descriptors, bytes, memcmp order, checksums) and the KSM tunables. libxxhash for the
# kernel's page checksum.
noinst_LIBRARIES += %reldir%/libvocab.a
%canon_reldir%_libvocab_a_CFLAGS = $(AM_CFLAGS) $(XXHASH_CFLAGS)
%canon_reldir%_libvocab_a_SOURCES = \
	%reldir%/checksum.c %reldir%/checksum.h \
	%reldir%/content.c %reldir%/content.h \
	%reldir%/knobs.c %reldir%/knobs.h
EXTRA_DIST += %reldir%/.may_include
