### sql/local.mk
