# tests/engine.mk: Check programs and shell tests for engine (included by tests/local.mk).
# sim --scenario end to end (needs the sqlite3 command).
TESTS += tests/cli.sh
EXTRA_DIST += tests/cli.sh tests/data/cli
# The include rules of the house style.
TESTS += tests/check_layering.sh
EXTRA_DIST += tests/check_layering.sh
