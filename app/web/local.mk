### app/web/local.mk
