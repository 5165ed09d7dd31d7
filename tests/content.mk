# tests/content.mk: Check programs and shell tests for content (included by tests/local.mk).
