# tests/rbtree.mk: Check programs and shell tests for rbtree (included by tests/local.mk).
