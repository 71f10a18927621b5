### app/crypto/local.mk
