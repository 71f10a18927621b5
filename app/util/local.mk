### app/util: shared leaves (status, strings, arena, buffers, money, time zones, logging)
libportal_a_SOURCES += app/util/util.h app/util/util.c app/util/arena.c app/util/log.c \
	app/util/tz.c
