# tests/ksm.mk: Check programs and shell tests for ksm (included by tests/local.mk).
