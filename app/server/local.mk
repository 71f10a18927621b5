### app/server/local.mk
