### app/cmd/local.mk
