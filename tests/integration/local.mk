### tests/integration/local.mk
