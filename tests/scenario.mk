# tests/scenario.mk: Check programs and shell tests for scenario (included by tests/local.mk).
