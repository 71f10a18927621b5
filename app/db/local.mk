### app/db/local.mk
