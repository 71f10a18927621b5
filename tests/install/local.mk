### tests/install: make installcheck stages an installation (make install
### DESTDIR=a temp dir) and checks its layout, portald -t on it, and a page
### served from it through nginx (tests/install/installcheck.sh).
dist_noinst_SCRIPTS += tests/install/installcheck.sh
installcheck-local:
	@stage=$$(mktemp -d /tmp/portal-stage.XXXXXX) || exit 1; \
	$(MAKE) $(AM_MAKEFLAGS) install DESTDIR="$$stage" >"$$stage.log" 2>&1 || \
	  { tail -20 "$$stage.log"; rm -rf "$$stage" "$$stage.log"; exit 1; }; \
	rm -f "$$stage.log"; \
	env top_srcdir='$(abs_top_srcdir)' top_builddir='$(abs_top_builddir)' \
	  sbindir='$(sbindir)' bindir='$(bindir)' sysconfdir='$(sysconfdir)' \
	  pkgdatadir='$(pkgdatadir)' pkglibdir='$(pkglibdir)' \
	  systemdsystemunitdir='$(systemdsystemunitdir)' sysusersdir='$(sysusersdir)' \
	  tmpfilesdir='$(tmpfilesdir)' \
	  $(SHELL) $(srcdir)/tests/install/installcheck.sh "$$stage"; rc=$$?; \
	rm -rf "$$stage"; exit $$rc
