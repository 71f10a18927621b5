### tests/fuzz/local.mk: libFuzzer harnesses (tests/fuzz/fuzz_*.c) built and
### run for FUZZ_SECONDS each (default 10) under ASan/UBSan by run.sh, which
### prints TAP. The whole folder (harnesses, seed corpora) is distributed.
TESTS += tests/fuzz/run.sh
EXTRA_DIST += tests/fuzz
