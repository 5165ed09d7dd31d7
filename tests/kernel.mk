# tests/kernel.mk: Check programs and shell tests for kernel (included by tests/local.mk).
