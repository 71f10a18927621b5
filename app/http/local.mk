### app/http/local.mk
