### app/gw/local.mk
