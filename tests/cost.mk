# tests/cost.mk: Check programs and shell tests for cost (included by tests/local.mk).
