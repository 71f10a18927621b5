### app/cmd: the two main()s. portald (the FastCGI daemon) is owned with app/server;
### portalctl (the admin CLI) with app/db.
sbin_PROGRAMS += portald
bin_PROGRAMS += portalctl
portald_SOURCES = app/cmd/portald.c
portald_LDADD = $(PORTAL_LIBS)

portalctl_SOURCES = app/cmd/portalctl.c app/cmd/cmd_db.c app/cmd/cmd_db.h \
	app/cmd/portalctl_docs.c \
	app/cmd/portalctl_docs.h app/cmd/portalctl_autopay.c \
	app/cmd/portalctl_autopay.h app/cmd/portalctl_mail.c \
	app/cmd/portalctl_mail.h
portalctl_LDADD = $(PORTAL_LIBS)

