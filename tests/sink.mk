# tests/sink.mk: Check programs and shell tests for sink (included by tests/local.mk).
