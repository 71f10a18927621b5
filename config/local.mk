### config: what an installation gets besides the programs:
###   $(sysconfdir)/portal/portal.yaml   config/portal.yaml with the installed
###                                      paths (socket, database, secret key),
###                                      listen.user portal and the database's
###                                      two users with their password files;
###                                      paths.templates and paths.plugins
###                                      left to their defaults
###   $(sysconfdir)/portal/clinicians/   empty: copy a practice file there
###   $(pkgdatadir)/examples/            the example practice files
###   $(systemdsystemunitdir)            the units, generated from
###                                      config/systemd/*.in with the
###                                      configured directories
###   $(sysusersdir), $(tmpfilesdir)     the service user and /run/portal
###   $(pkgdatadir)/nginx/               portal.conf, the production nginx site
###                                      (config/nginx/portal.conf.example with
###                                      the installed static root), and its
###                                      two snippets
### (the YAML files themselves are listed by app/conf/local.mk)
portalconfdir = $(sysconfdir)/portal
portalconf_DATA = config/portal.yaml.installed
examplesdir = $(pkgdatadir)/examples/clinicians
examples_DATA = config/clinicians/demo.yaml config/clinicians/harbor-family.yaml
nginxconfdir = $(pkgdatadir)/nginx
nginxconf_DATA = config/nginx/portal.conf
dist_nginxconf_DATA = config/nginx/portal-fastcgi.conf \
	config/nginx/portal-limits.conf
EXTRA_DIST += config/nginx/portal.conf.example
CLEANFILES += config/nginx/portal.conf
config/nginx/portal.conf: $(srcdir)/config/nginx/portal.conf.example Makefile
	@$(MKDIR_P) config/nginx
	$(AM_V_GEN)sed -e 's|/usr/local/share/portal/www|$(pkgdatadir)/www|g' $< >$@.tmp && \
	  grep -q '$(pkgdatadir)/www/static/' $@.tmp && mv $@.tmp $@

systemdsystemunit_DATA = config/systemd/portald.service \
	config/systemd/portal-autopay.service config/systemd/portal-autopay.timer \
	config/systemd/portal-reconcile.service config/systemd/portal-reconcile.timer \
	config/systemd/portal-mail.service config/systemd/portal-mail.timer \
	config/systemd/portal-notices.service config/systemd/portal-notices.timer
sysusers_DATA = config/systemd/sysusers.d/portal.conf
tmpfiles_DATA = config/systemd/tmpfiles.d/portal.conf
UNIT_INS = config/systemd/portald.service.in \
	config/systemd/portal-autopay.service.in \
	config/systemd/portal-reconcile.service.in \
	config/systemd/portal-mail.service.in \
	config/systemd/portal-notices.service.in \
	config/systemd/tmpfiles.d/portal.conf.in
EXTRA_DIST += $(UNIT_INS) config/systemd/hardening.conf \
	config/systemd/portal-autopay.timer config/systemd/portal-reconcile.timer \
	config/systemd/portal-mail.timer config/systemd/portal-notices.timer \
	config/systemd/sysusers.d/portal.conf
CLEANFILES += config/systemd/portald.service config/systemd/portal-autopay.service \
	config/systemd/portal-reconcile.service config/systemd/tmpfiles.d/portal.conf \
	config/systemd/portal-mail.service config/systemd/portal-notices.service \
	config/portal.yaml.installed

# The configured directories, fully expanded (configure leaves ${prefix}).
edit_paths = sed -e 's|@sbindir[@]|$(sbindir)|g' -e 's|@bindir[@]|$(bindir)|g' \
	-e 's|@sysconfdir[@]|$(sysconfdir)|g' \
	-e 's|@pkgdatadir[@]|$(pkgdatadir)|g' -e 's|@pkglibdir[@]|$(pkglibdir)|g'

# UNIT_GEN: config/systemd/X from config/systemd/X.in: the directories, and
# hardening.conf (without its opening comment) in place of @HARDENING@.
UNIT_GEN = $(MKDIR_P) config/systemd && $(edit_paths) \
	-e '/^@HARDENING@$$/{r $(srcdir)/config/systemd/hardening.conf' -e 'd;}' \
	$(srcdir)/$@.in | sed '/^\# hardening.conf:/,/^\# Check a unit with/d' >$@.tmp && \
	mv $@.tmp $@
UNIT_DEPS = $(srcdir)/config/systemd/hardening.conf Makefile
config/systemd/portald.service: config/systemd/portald.service.in $(UNIT_DEPS)
	$(AM_V_GEN)$(UNIT_GEN)
config/systemd/portal-autopay.service: config/systemd/portal-autopay.service.in $(UNIT_DEPS)
	$(AM_V_GEN)$(UNIT_GEN)
config/systemd/portal-reconcile.service: config/systemd/portal-reconcile.service.in $(UNIT_DEPS)
	$(AM_V_GEN)$(UNIT_GEN)
config/systemd/portal-mail.service: config/systemd/portal-mail.service.in $(UNIT_DEPS)
	$(AM_V_GEN)$(UNIT_GEN)
config/systemd/portal-notices.service: config/systemd/portal-notices.service.in $(UNIT_DEPS)
	$(AM_V_GEN)$(UNIT_GEN)
config/systemd/tmpfiles.d/portal.conf: config/systemd/tmpfiles.d/portal.conf.in $(UNIT_DEPS)
	@$(MKDIR_P) config/systemd/tmpfiles.d
	$(AM_V_GEN)$(UNIT_GEN)

# config/portal.yaml names the paths of a build in the source tree; the
# installed copy names those of the installation (the keys and comments are
# the same, so portal.yaml(5) describes both).
config/portal.yaml.installed: $(srcdir)/config/portal.yaml Makefile
	@$(MKDIR_P) config
	$(AM_V_GEN)sed -e 's|^  socket: \.\./var/run/portald\.sock$$|  socket: /run/portal/portald.sock|' \
	    -e 's|^  # socket_group: www-data$$|  socket_group: www-data|' \
	    -e 's|^  # user: portal$$|  user: portal|' \
	    -e 's|^  # password_file: \.\./var/db-password$$|  password_file: $(portalconfdir)/db-password|' \
	    -e 's|^  # migrate_user: portal_migrate$$|  migrate_user: portal_migrate|' \
	    -e 's|^  # migrate_password_file: \.\./var/db-migrate-password$$|  migrate_password_file: $(portalconfdir)/db-migrate-password|' \
	    -e 's|^  socket: \.\./var/run/mysqld\.sock$$|  socket: /run/mysqld/mysqld.sock|' \
	    -e 's|^base_url: http://127\.0\.0\.1:8080$$|base_url: https://portal.example.org|' \
	    -e 's|^secret_key_file: \.\./var/secret\.key$$|secret_key_file: $(portalconfdir)/secret.key|' \
	    -e 's|^  templates: \.\./www/templates$$|  # templates: $(pkgdatadir)/www/templates|' \
	    -e 's|^  plugins: \.\./gateways/sandbox/\.libs$$|  # plugins: $(pkglibdir)|' \
	    $< >$@.tmp
	@for k in '  socket: /run/portal/' 'secret_key_file: $(portalconfdir)' \
	    '  user: portal' '  password_file: $(portalconfdir)/db-password' \
	    '  migrate_user: portal_migrate' \
	    '  migrate_password_file: $(portalconfdir)/db-migrate-password' \
	    '  # templates: ' '  # plugins: '; do \
	  grep -q "^$$k" $@.tmp || { echo "$@: config/portal.yaml changed: no '$$k' line"; rm -f $@.tmp; exit 1; }; \
	done; mv $@.tmp $@

# portal.yaml.installed is installed as portal.yaml, never over an edited one.
install-data-hook: install-portal-conf
install-portal-conf:
	cd '$(DESTDIR)$(portalconfdir)' && \
	  if [ -f portal.yaml ]; then rm -f portal.yaml.installed; \
	  else mv portal.yaml.installed portal.yaml; fi && \
	  $(MKDIR_P) clinicians
uninstall-local: uninstall-portal-conf
uninstall-portal-conf:
	rm -f '$(DESTDIR)$(portalconfdir)/portal.yaml'
	-rmdir '$(DESTDIR)$(portalconfdir)/clinicians'
.PHONY: install-portal-conf uninstall-portal-conf
