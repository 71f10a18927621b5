### tests/bench/local.mk
