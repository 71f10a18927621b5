### tests/package: the Debian package (debian/), built, linted, installed with
### apt, run as its unit runs it and purged (tests/package/deb.sh).
TESTS += tests/package/deb.sh
dist_noinst_SCRIPTS += tests/package/deb.sh
EXTRA_DIST += debian/changelog debian/control debian/copyright debian/rules \
	debian/source/format debian/portal.install debian/portal.dirs \
	debian/portal.postinst debian/portal.postrm \
	debian/portal-gateway-dev.install
