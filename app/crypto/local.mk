### app/crypto: randomness, tokens, SHA-256/HMAC, Argon2id passwords
libportal_a_SOURCES += app/crypto/crypto.h app/crypto/crypto.c

check_PROGRAMS += tests/unit/check_crypto
tests_unit_check_crypto_SOURCES = tests/unit/check_crypto.c
tests_unit_check_crypto_CFLAGS = $(UNIT_CFLAGS)
tests_unit_check_crypto_LDADD = $(UNIT_LDADD)
TESTS += tests/unit/check_crypto
