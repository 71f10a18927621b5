### app/web: the application: configuration and templates loaded once,
### per-thread state, the request pipeline and the page handlers.
libportal_a_SOURCES += app/web/web.h app/web/extern.h app/web/app.c \
	app/web/request.c app/web/auth.c \
	app/web/billing.c app/web/docs.c app/web/health.c app/web/webhook.c
