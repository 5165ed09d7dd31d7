# tests/trace.mk: Check programs and shell tests for trace (included by tests/local.mk).
