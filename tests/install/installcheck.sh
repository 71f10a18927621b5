#!/usr/bin/env bash
# tests/install/installcheck.sh: make installcheck: the layout of a staged
# installation (make install DESTDIR=STAGE) and a portal served from it.
#
#   installcheck.sh STAGE
#
# The configured directories come from the environment (set by the
# installcheck-local rule of tests/install/local.mk): sbindir bindir
# sysconfdir pkgdatadir pkglibdir systemdsystemunitdir sysusersdir
# tmpfilesdir. Checks, printing TAP:
#   - the programs, portal.yaml, units, sysusers.d and tmpfiles.d entries are
#     where the directories say;
#   - the defaults compiled into portald (portald -V) are where make install
#     put the templates and the plugins, so an installed portal needs no
#     paths: keys;
#   - the units start the installed programs with the installed config;
#   - the staged portald -t accepts the staged portal.yaml (its paths moved
#     under STAGE) with a staged example practice;
#   - a private stack (tests/lib/stack.sh) running the staged portald,
#     portalctl, plugins, templates, static files and migrations serves
#     /login and a static file through nginx.
set -u
stage=${1:?usage: installcheck.sh STAGE}
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
export top_srcdir
for v in sbindir bindir sysconfdir pkgdatadir pkglibdir systemdsystemunitdir \
    sysusersdir tmpfilesdir; do
	[ -n "${!v:-}" ] || { echo "Bail out! $v is not set (run make installcheck)"; exit 1; }
done
# shellcheck source=tests/lib/tap.sh
source "$top_srcdir/tests/lib/tap.sh" || { echo "Bail out! cannot source tests/lib/tap.sh"; exit 1; }
# shellcheck source=tests/lib/stack.sh
source "$top_srcdir/tests/lib/stack.sh" || { echo "Bail out! cannot source tests/lib/stack.sh"; exit 1; }

tmp=$(mktemp -d /tmp/portal-installcheck.XXXXXX) || { echo "Bail out! mktemp"; exit 1; }
chmod 0755 "$tmp"
cleanup() {
	stack_stop >/dev/null 2>&1
	[ -n "${KEEP_TMP:-}" ] && echo "# kept $tmp" || rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

n=0
failed=0

S=$stage
portald=$S$sbindir/portald
portalctl=$S$bindir/portalctl
for f in "$portald" "$portalctl" "$S$sysconfdir/portal/portal.yaml" \
    "$S$pkgdatadir/www/static/portal.css" "$S$pkgdatadir/sql/0001_init.sql" \
    "$S$pkglibdir/sandbox.so" "$S$systemdsystemunitdir/portald.service" \
    "$S$systemdsystemunitdir/portal-autopay.timer" \
    "$S$systemdsystemunitdir/portal-reconcile.timer" \
    "$S$sysusersdir/portal.conf" "$S$tmpfilesdir/portal.conf"; do
	[ -e "$f" ]
	ok $? "installed: ${f#"$S"}"
done
[ -d "$S$sysconfdir/portal/clinicians" ]
ok $? "installed: the practice directory $sysconfdir/portal/clinicians"

# portald's compiled-in defaults point into the installed layout.
v=$("$portald" -V 2>&1)
ok $? "portald -V runs" "$v"
grep -qx "portald [0-9][0-9.]*" <<<"$(head -1 <<<"$v")"
ok $? "portald -V prints its version" "$v"
tdir=$(sed -n 's/^templates: //p' <<<"$v")
pdir=$(sed -n 's/^plugins: //p' <<<"$v")
cfile=$(sed -n 's/^config: //p' <<<"$v")
[ -n "$tdir" ] && [ -f "$S$tdir/login.html" ] && [ -f "$S$tdir/head.html" ]
ok $? "portald's default templates dir $tdir holds the installed templates" "$v"
[ -n "$pdir" ] && [ -f "$S$pdir/sandbox.so" ]
ok $? "portald's default plugin dir $pdir holds the installed plugins" "$v"
[ "$cfile" = "$sysconfdir/portal/portal.yaml" ]
ok $? "portald's default config is the installed $sysconfdir/portal/portal.yaml" "$v"
v=$("$portalctl" --version 2>&1)
[ "$v" = "$(head -1 <<<"$("$portald" -V)" | sed 's/^portald/portalctl/')" ]
ok $? "portalctl --version names the same version as portald -V" "$v"

# The units run the installed programs on the installed configuration.
unit=$S$systemdsystemunitdir/portald.service
grep -qx "ExecStart=$sbindir/portald -c $sysconfdir/portal/portal.yaml" "$unit"
ok $? "portald.service starts $sbindir/portald -c $sysconfdir/portal/portal.yaml" "$(grep ^Exec "$unit")"
grep -qx "ExecStart=$bindir/portalctl -c $sysconfdir/portal/portal.yaml autopay run" \
    "$S$systemdsystemunitdir/portal-autopay.service"
ok $? "portal-autopay.service runs $bindir/portalctl autopay run"
grep -q "^ExecStart=$bindir/portalctl -c $sysconfdir/portal/portal.yaml payments reconcile" \
    "$S$systemdsystemunitdir/portal-reconcile.service"
ok $? "portal-reconcile.service runs $bindir/portalctl payments reconcile"
! grep -n '@[a-z_]*@' "$S$systemdsystemunitdir"/portal*.service \
    "$S$tmpfilesdir/portal.conf" >"$tmp/left" 2>&1
ok $? "no placeholder or hard-coded path left in the units" "$(cat "$tmp/left")"
if command -v systemd-analyze >/dev/null 2>&1; then
	systemd-analyze security --offline=true --no-pager "$unit" >"$tmp/security" 2>&1
	level=$(sed -n 's/^→ Overall exposure level for .*: \(.*\)$/\1/p' "$tmp/security")
	echo "# systemd-analyze security portald.service: ${level:-?}"
	case $level in
	*OK* | *SAFE*) ok 0 "portald.service's exposure level is OK or SAFE ($level)" ;;
	*) ok 1 "portald.service's exposure level is OK or SAFE (${level:-none})" "$(tail -5 "$tmp/security")" ;;
	esac
fi

# The staged portal.yaml, its paths moved under STAGE, passes portald -t.
if ! mariadb_start "$tmp/db" 2>"$tmp/db.err"; then
	echo "Bail out! MariaDB did not start: $(tr '\n' ' ' <"$tmp/db.err")"
	exit 1
fi
mkdir -p "$tmp/conf/clinicians"
cp "$S$pkgdatadir/examples/clinicians/demo.yaml" "$tmp/conf/clinicians/"
head -c 32 /dev/urandom >"$tmp/conf/secret.key"
chmod 0600 "$tmp/conf/secret.key"
(umask 077 && echo pw1 >"$tmp/conf/db-password" && echo pw2 >"$tmp/conf/db-migrate-password")
# The service user (portal) need not exist here: listen.user becomes nobody.
sed -e "s|^  socket: /run/portal/portald.sock$|  socket: $tmp/portald.sock|" \
    -e "s|^  socket_group: www-data$|  socket_group: $(id -gn)|" \
    -e "s|^  socket: /run/mysqld/mysqld.sock$|  socket: $PORTAL_DB_SOCKET|" \
    -e "/^listen:/,/^[a-z]/s|^  user: portal$|  user: nobody|" \
    -e "s|password_file: $sysconfdir/portal/|password_file: $tmp/conf/|" \
    -e "s|^secret_key_file: .*|secret_key_file: $tmp/conf/secret.key|" \
    -e "s|^  # templates: \(.*\)|  templates: $S\1|" \
    -e "s|^  # plugins: \(.*\)|  plugins: $S\1|" \
    "$S$sysconfdir/portal/portal.yaml" >"$tmp/conf/portal.yaml"
out=$("$portald" -t -c "$tmp/conf/portal.yaml" 2>&1)
ok $? "the staged portald -t accepts the staged portal.yaml" "$out"
out=$("$portalctl" -c "$tmp/conf/portal.yaml" config check 2>&1)
ok $? "the staged portalctl config check accepts it too" "$out"
mariadb_stop

# A private stack of the staged files serves a page and a static file.
export PORTALD=$portald PORTALCTL=$portalctl STACK_TEMPLATES=$S$tdir \
    STACK_STATIC_DIR=$S$pkgdatadir/www/static STACK_SQL=$S$pkgdatadir/sql \
    STACK_PLUGINS=$S$pdir STACK_CLINICIANS=$S$pkgdatadir/examples/clinicians
if stack_start "$tmp/stack" 2>"$tmp/stack.err"; then
	ok 0 "a stack of the staged programs, templates, plugins and migrations starts"
	code=$(curl -s -o "$tmp/login.html" -w '%{http_code}' "$STACK_URL/login")
	[ "$code" = 200 ] && grep -q '<form' "$tmp/login.html"
	ok $? "GET /login through nginx answers 200 with the sign-in form" "status $code"
	curl -s -o "$tmp/portal.css" "$STACK_URL/static/portal.css" &&
	    cmp -s "$tmp/portal.css" "$S$pkgdatadir/www/static/portal.css"
	ok $? "GET /static/portal.css serves the installed file"
else
	ok 1 "a stack of the staged programs, templates, plugins and migrations starts" \
	    "$(cat "$tmp/stack.err")"
fi
echo "1..$n"
[ "$failed" -eq 0 ]
