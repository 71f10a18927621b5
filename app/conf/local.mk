### app/conf/local.mk
