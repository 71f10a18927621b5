#!/usr/bin/env bash
# tests/package/deb.sh: the Debian package, built and installed as an
# operator would (README, "Production"). Prints TAP. Needs root on Debian 12.
#
#   1. builds the .debs from a copy of the source tree
#      (dpkg-buildpackage -us -uc -b) and runs lintian on them: no errors;
#   2. installs the package with apt and checks the layout, the service
#      user and the units;
#   3. points the installed /etc/portal/portal.yaml at a private MariaDB
#      (tests/lib/mariadb.sh), runs portalctl db init and db migrate,
#      starts portald with its unit's ExecStart command line (as root: it
#      drops to listen.user, portal), checks with ps that no portald
#      process runs as root, and serves /login through a private nginx
#      running the installed site file with a self-signed certificate;
#   4. purges the package.
# It installs and purges the package on this machine: it refuses to run
# (Bail out) when a portal package is installed already, so an operator's
# installation is never touched. The user portal stays (as Debian's
# packages leave system users).
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
export top_srcdir
# shellcheck source=tests/lib/tap.sh
source "$top_srcdir/tests/lib/tap.sh" || { echo "Bail out! cannot source tests/lib/tap.sh"; exit 1; }
# shellcheck source=tests/lib/mariadb.sh
source "$top_srcdir/tests/lib/mariadb.sh" || { echo "Bail out! cannot source tests/lib/mariadb.sh"; exit 1; }
# shellcheck source=tests/lib/stack.sh
source "$top_srcdir/tests/lib/stack.sh" || { echo "Bail out! cannot source tests/lib/stack.sh"; exit 1; }

[ "$(id -u)" = 0 ] || { echo "Bail out! needs root (it installs the package)"; exit 1; }
if dpkg-query -W -f='${Status}' portal 2>/dev/null | grep -q 'install ok installed'; then
	echo "Bail out! a portal package is installed on this machine already; this test installs and purges its own"
	exit 1
fi

tmp=$(mktemp -d /tmp/portal-deb.XXXXXX) || { echo "Bail out! mktemp"; exit 1; }
chmod 0711 "$tmp"
installed=
pd_pid=
ngx_pid=
cleanup() {
	[ -n "$ngx_pid" ] && _stack_kill "$ngx_pid"
	[ -n "$pd_pid" ] && _stack_kill "$pd_pid"
	mariadb_stop >/dev/null 2>&1
	if [ -n "$installed" ]; then
		DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq portal >/dev/null 2>&1
	fi
	[ -n "${KEEP_TMP:-}" ] && echo "# kept $tmp" || rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

n=0
failed=0
# finish: the plan and the status.
finish() {
	echo "1..$n"
	[ "$failed" -eq 0 ]
	exit
}

# ---- 1. build, lint ----
src=$tmp/build/portal
mkdir -p "$src"
if [ -d "$top_srcdir/.git" ]; then
	(cd "$top_srcdir" && { git ls-files; git ls-files --others --exclude-standard; } |
	    sort -u | while IFS= read -r f; do [ -e "$f" ] && printf '%s\n' "$f"; done |
	    tar -cf - -T -) | tar -xf - -C "$src"
else
	# A dist tree (make distcheck: read-only, with its build in _build).
	tar -C "$top_srcdir" --exclude=./_build --exclude=./_inst -cf - . | tar -xf - -C "$src"
	chmod -R u+w "$src"
fi
# Without the make variables of the `make check` running this test: its
# TEST_LOGS (every test, this one included) would reach the package's own
# `make check-unit` through MAKEFLAGS and run the whole suite in there.
(cd "$src" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES \
    dpkg-buildpackage -us -uc -b) >"$tmp/build.log" 2>&1
rc=$?
deb=$(ls "$tmp"/build/portal_*_*.deb 2>/dev/null | head -n 1)
ok $((rc != 0 || ${#deb} == 0)) "dpkg-buildpackage -us -uc -b builds the packages" \
    "$(grep -E '^(FAIL|ERROR): |^not ok |[Ee]rror:' "$tmp/build.log" | head -n 20)" "$(tail -n 20 "$tmp/build.log")"
[ -n "$deb" ] || finish
ls "$tmp"/build/*.deb | sed 's|.*/|# built |'
lintian --no-tag-display-limit "$tmp"/build/portal_*.changes >"$tmp/lintian.log" 2>&1
sed 's/^/# lintian: /' "$tmp/lintian.log"
! grep -q '^E: ' "$tmp/lintian.log"
ok $? "lintian reports no errors" "$(grep '^E: ' "$tmp/lintian.log")"

# ---- 2. install ----
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$deb" >"$tmp/apt.log" 2>&1
rc=$?
[ "$rc" = 0 ] && installed=1
ok "$rc" "apt-get install the package" "$(cat "$tmp/apt.log")"
[ -n "$installed" ] || finish
for f in /usr/sbin/portald /usr/bin/portalctl /etc/portal/portal.yaml \
    /lib/systemd/system/portald.service /lib/systemd/system/portal-autopay.timer \
    /lib/systemd/system/portal-reconcile.timer /usr/lib/sysusers.d/portal.conf \
    /usr/lib/tmpfiles.d/portal.conf /usr/share/portal/www/templates \
    /usr/share/portal/www/static/portal.css /usr/share/portal/sql/0001_init.sql \
    /usr/share/portal/nginx/portal.conf /usr/share/man/man8/portald.8.gz; do
	[ -e "$f" ]
	ok $? "installed: $f"
done
plugdir=$(sed -n 's/^plugins: //p' <<<"$(/usr/sbin/portald -V)")
[ -f "$plugdir/sandbox.so" ] && [ -f "$plugdir/stripe.so" ] && [ -f "$plugdir/square.so" ]
ok $? "the plugins are in portald's default plugin dir ($plugdir)"
getent passwd portal >/dev/null && [ "$(getent passwd portal | cut -d: -f7)" = /usr/sbin/nologin ]
ok $? "the service user portal exists, without a login shell" "$(getent passwd portal)"
[ "$(stat -c '%a %U %G' /etc/portal/secret.key 2>/dev/null)" = "640 root portal" ]
ok $? "the package made /etc/portal/secret.key, 0640 root:portal" "$(ls -l /etc/portal)"
execstart=$(sed -n 's/^ExecStart=//p' /lib/systemd/system/portald.service)
[ "$execstart" = "/usr/sbin/portald -c /etc/portal/portal.yaml" ]
ok $? "portald.service runs $execstart" "$execstart"

# ---- 3. database, portald as its unit runs it, nginx ----
if ! mariadb_start "$tmp/db" 2>"$tmp/db.err"; then
	ok 1 "a private MariaDB starts" "$(cat "$tmp/db.err")"
	finish
fi
chmod 0711 "$tmp/db"
# The operator's edits: the database's socket, a practice.
sed -i "s|^  socket: /run/mysqld/mysqld.sock$|  socket: $PORTAL_DB_SOCKET|" /etc/portal/portal.yaml
grep -q "^  socket: $PORTAL_DB_SOCKET$" /etc/portal/portal.yaml
ok $? "portal.yaml names the database socket" "$(grep -n socket /etc/portal/portal.yaml)"
cp /usr/share/portal/examples/clinicians/demo.yaml /etc/portal/clinicians/
export SANDBOX_SECRET_KEY=sk_test_$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
portalctl db init >"$tmp/init.out" 2>&1
rc=$?
sed 's/^/# db init: /' "$tmp/init.out"
ok "$rc" "portalctl db init" "$(cat "$tmp/init.out")"
[ "$(stat -c '%a %G' /etc/portal/db-password 2>/dev/null)" = "640 portal" ] &&
    [ "$(stat -c '%a %U' /etc/portal/db-migrate-password 2>/dev/null)" = "600 root" ]
ok $? "db init wrote the runtime password 0640 for group portal, the migration one 0600" "$(ls -l /etc/portal)"
portalctl db migrate >"$tmp/migrate.out" 2>&1
rc=$?
sed 's/^/# db migrate: /' "$tmp/migrate.out"
ok "$rc" "portalctl db migrate applies the installed migrations" "$(cat "$tmp/migrate.out")"
# What systemd-tmpfiles (or RuntimeDirectory=) makes at boot.
if command -v systemd-tmpfiles >/dev/null; then
	systemd-tmpfiles --create /usr/lib/tmpfiles.d/portal.conf
else
	install -d -m 0750 -o portal -g www-data /run/portal
fi
# shellcheck disable=SC2086 # the unit's command line, word-split as systemd does
$execstart </dev/null >"$tmp/portald.log" 2>&1 &
pd_pid=$!
for _ in $(seq 1 100); do
	[ -S /run/portal/portald.sock ] && [ "$(pgrep -c -P "$pd_pid")" -ge 1 ] && break
	_stack_alive "$pd_pid" || break
	sleep 0.1
done
sleep 0.5
users=$(ps -o user= -p "$pd_pid" --ppid "$pd_pid" 2>/dev/null | sort | uniq -c | sed 's/^ *//')
echo "# ps -o user= of portald's master and workers: $(echo $users)"
[ -S /run/portal/portald.sock ] && printf '%s\n' "$users" | grep -qx '[0-9]* portal' &&
    ! printf '%s\n' "$users" | grep -qv ' portal$'
ok $? "portald started from its unit's command line runs as portal, master and workers" \
    "$users"$'\n'"$(cat "$tmp/portald.log")"

port=$(stack_free_port)
http_port=$(stack_free_port)
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=portal.example.com \
    -keyout "$tmp/key.pem" -out "$tmp/cert.pem" >/dev/null 2>&1
mkdir -p "$tmp/nginx/snippets" "$tmp/nginx/logs" "$tmp/nginx/tmp"
cp /usr/share/portal/nginx/portal-fastcgi.conf /usr/share/portal/nginx/portal-limits.conf "$tmp/nginx/snippets/"
sed -e "s|^\tlisten 443 ssl http2;|\tlisten 127.0.0.1:$port ssl http2;|" \
    -e "s|^\tlisten 80;|\tlisten 127.0.0.1:$http_port;|" -e '/listen \[::\]/d' \
    -e "s|/etc/letsencrypt/live/portal.example.com/fullchain.pem|$tmp/cert.pem|" \
    -e "s|/etc/letsencrypt/live/portal.example.com/privkey.pem|$tmp/key.pem|" \
    -e "s|/var/log/nginx/|$tmp/nginx/logs/|" \
    /usr/share/portal/nginx/portal.conf >"$tmp/nginx/portal.conf"
cat >"$tmp/nginx/nginx.conf" <<EOF
# The installed site (/usr/share/portal/nginx/portal.conf) on loopback ports.
user www-data;
worker_processes 1;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/logs/error.log;
events { worker_connections 256; }
http {
	include /etc/nginx/mime.types;
	client_body_temp_path $tmp/nginx/tmp/body;
	fastcgi_temp_path $tmp/nginx/tmp/fastcgi;
	proxy_temp_path $tmp/nginx/tmp/proxy;
	uwsgi_temp_path $tmp/nginx/tmp/uwsgi;
	scgi_temp_path $tmp/nginx/tmp/scgi;
	include portal.conf;
}
EOF
chown www-data "$tmp/nginx/tmp"
nginx -t -q -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" -g 'daemon off;' >"$tmp/nginx-t.log" 2>&1
ok $? "nginx accepts the installed site" "$(cat "$tmp/nginx-t.log")"
nginx -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" -g 'daemon off;' </dev/null >>"$tmp/nginx-t.log" 2>&1 &
ngx_pid=$!
code=
for _ in $(seq 1 50); do
	code=$(curl -sk -o "$tmp/login.html" -w '%{http_code}' --resolve "portal.example.com:$port:127.0.0.1" \
	    "https://portal.example.com:$port/login" 2>/dev/null)
	[ "$code" = 200 ] && break
	sleep 0.2
done
[ "$code" = 200 ] && grep -q '<form' "$tmp/login.html"
ok $? "GET https://…/login through nginx answers 200 with the sign-in form" \
    "status $code"$'\n'"$(cat "$tmp/nginx/logs/error.log" "$tmp/nginx/logs/portal-error.log" "$tmp/portald.log" 2>/dev/null)"
hdr=$(curl -sk -D - -o /dev/null --resolve "portal.example.com:$port:127.0.0.1" \
    "https://portal.example.com:$port/login")
grep -qi '^strict-transport-security: max-age=' <<<"$hdr"
ok $? "the site sends HSTS" "$hdr"
css=$(grep -o '/static/portal.css?v=[0-9a-f]*' "$tmp/login.html" | head -n 1)
curl -sk -o "$tmp/portal.css" --resolve "portal.example.com:$port:127.0.0.1" "https://portal.example.com:$port$css" &&
    cmp -s "$tmp/portal.css" /usr/share/portal/www/static/portal.css
ok $? "the fingerprinted stylesheet ($css) is the installed file"
hz=$(curl -sk -o /dev/null -w '%{http_code}' --resolve "portal.example.com:$port:127.0.0.1" \
    "https://portal.example.com:$port/healthz")
[ "$hz" = 200 ]
ok $? "/healthz answers 200 from loopback" "status $hz"

_stack_kill "$ngx_pid"
ngx_pid=
_stack_kill "$pd_pid"
pd_pid=
# ---- 4. purge ----
DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq portal >"$tmp/purge.log" 2>&1
rc=$?
[ "$rc" = 0 ] && installed=
[ "$rc" = 0 ] && [ ! -e /usr/sbin/portald ] && [ ! -e /etc/portal/portal.yaml ] && [ ! -e /etc/portal/secret.key ]
ok $? "apt-get purge removes the programs, the configuration and the secrets" "$(cat "$tmp/purge.log")"
finish
