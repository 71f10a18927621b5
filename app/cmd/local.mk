### app/cmd: the two main()s. portald (the FastCGI daemon) is owned with app/server;
### portalctl (the admin CLI) with app/db.
sbin_PROGRAMS += portald
bin_PROGRAMS += portalctl
portald_SOURCES = app/cmd/portald.c
nodist_portald_SOURCES = app/cmd/migrations.h
portald_CPPFLAGS = $(AM_CPPFLAGS) -I$(builddir)/app/cmd
portald_LDADD = $(PORTAL_LIBS)
# The migrations this portald needs (sql/NNNN_*.sql), checked at start-up.
BUILT_SOURCES += app/cmd/migrations.h
CLEANFILES += app/cmd/migrations.h
app/cmd/migrations.h: $(srcdir)/sql Makefile
	$(AM_V_GEN)$(MKDIR_P) app/cmd && (cd $(srcdir)/sql && ls) | LC_ALL=C sort | \
	  awk -F_ '/^[0-9][0-9][0-9][0-9]*_[A-Za-z0-9_-]*\.sql$$/ { printf "\t{%d, \"%s\"},\n", $$1 + 0, $$0 }' \
	  >$@.tmp && mv $@.tmp $@

portalctl_SOURCES = app/cmd/portalctl.c app/cmd/cmd.h app/cmd/cmd.c app/cmd/cmd_db.c app/cmd/cmd_db.h \
	app/cmd/portalctl_docs.c \
	app/cmd/portalctl_docs.h app/cmd/portalctl_autopay.c \
	app/cmd/portalctl_autopay.h app/cmd/portalctl_mail.c \
	app/cmd/portalctl_mail.h
portalctl_LDADD = $(PORTAL_LIBS)

