### www/local.mk
