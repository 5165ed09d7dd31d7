# tests/cli_opts.mk: the command-line parser every command uses (sim/cli_opts.c).
check_PROGRAMS += tests/check_cli_opts
TESTS += tests/check_cli_opts
tests_check_cli_opts_SOURCES = tests/check_cli_opts.c tests/check_main.c sim/cli_opts.c
tests_check_cli_opts_CFLAGS = $(KS_CHECK_CFLAGS)
tests_check_cli_opts_LDADD = models/base/libbase.a $(CHECK_LIBS) $(LIBS)
