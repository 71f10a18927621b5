### config/local.mk
