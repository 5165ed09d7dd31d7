# tests/record.mk: the process recorder, the page dictionary, `sim record` and
# `sim trace import` (included by tests/local.mk).
check_PROGRAMS += tests/check_record tests/rec_target
TESTS += tests/check_record
tests_check_record_SOURCES = tests/check_record.c tests/check_main.c tests/tmpdir.c \
	tests/tmpdir.h tests/rec_target.h reports/converge.c
tests_check_record_CFLAGS = $(KS_CHECK_CFLAGS) $(GSL_CFLAGS)
tests_check_record_LDADD = traces/libtraces.a models/vocab/libvocab.a models/base/libbase.a \
	$(XXHASH_LIBS) $(GSL_LIBS) $(CHECK_LIBS) $(LIBS)
tests_rec_target_SOURCES = tests/rec_target.c tests/rec_target.h
TESTS += tests/record_cli.sh
EXTRA_DIST += tests/record_cli.sh
