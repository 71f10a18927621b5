### app/server: the process model (master, workers, threads) and FastCGI glue
libportal_a_SOURCES += app/server/server.h app/server/server.c
dist_man_MANS += man/portald.8
