### app/gw: the gateway plugin host: loader, config check against the
### plugin's table, one instance per practice, host services (libcurl).
libportal_a_SOURCES += app/gw/gw.h app/gw/host.c app/gw/loader.c \
	app/gw/instance.c app/gw/check.c
