### tests/fuzz/local.mk
