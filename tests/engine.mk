# tests/engine.mk: Check programs and shell tests for engine (included by tests/local.mk).
