#!/usr/bin/env bash
# tests/integration/run.sh: integration tests against a real, throwaway
# MariaDB started in a temp dir (tests/lib/mariadb.sh): the Check suite
# tests/integration/check_db, then portalctl end to end. Prints TAP; stops
# the server it started on exit.
set -u

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$(pwd)}
export top_srcdir top_builddir

# shellcheck source=tests/lib/mariadb.sh
. "$top_srcdir/tests/lib/mariadb.sh"
# shellcheck source=tests/lib/tap.sh
source "$top_srcdir/tests/lib/tap.sh" || { echo "Bail out! cannot source tests/lib/tap.sh"; exit 1; }

tmp=$(mktemp -d /tmp/portal-it.XXXXXX) || { echo "Bail out! mktemp failed"; exit 1; }
cleanup() {
	mariadb_stop
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

n=0
failed=0
ok() {
	n=$((n + 1))
	echo "ok $n - $1"
}
not_ok() {
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n - $1"
	tap_at
	shift
	for line in "$@"; do
		printf '%s\n' "$line" | sed 's/^/# /'
	done
}
# check NAME COMMAND...: one TAP line for a command's exit status.
check() {
	local name=$1
	shift
	if "$@" >"$tmp/out" 2>"$tmp/err"; then
		ok "$name"
	else
		not_ok "$name" "$(cat "$tmp/out" "$tmp/err")"
	fi
}

if ! mariadb_start "$tmp/db" 2>"$tmp/start.err"; then
	echo "Bail out! MariaDB did not start: $(tr '\n' ' ' <"$tmp/start.err")"
	exit 1
fi

# ---- the Check suite, renumbered into this script's TAP stream ----
CK_TAP_LOG_FILE_NAME=- CK_VERBOSITY=normal PORTAL_DB_SOCKET=$PORTAL_DB_SOCKET \
	"$top_builddir/tests/integration/check_db" >"$tmp/check.out" 2>"$tmp/check.err"
rc=$?
seen=0
while IFS= read -r line; do
	case $line in
	"ok "*)
		seen=$((seen + 1))
		ok "check_db: ${line#ok * - }"
		;;
	"not ok "*)
		seen=$((seen + 1))
		not_ok "check_db: ${line#not ok * - }"
		;;
	*) [ -n "$line" ] && echo "# $line" ;;
	esac
done <"$tmp/check.out"
if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
	not_ok "check_db exited with status $rc" "$(cat "$tmp/check.err")"
elif [ "$seen" -eq 0 ]; then
	not_ok "check_db ran no test" "$(cat "$tmp/check.err")"
fi

# ---- portalctl end to end ----
portalctl=${PORTALCTL:-$top_builddir/portalctl}
head -c 32 /dev/urandom >"$tmp/secret.key"
chmod 0600 "$tmp/secret.key"
mkdir -p "$tmp/plugins"
# config check loads the practices' gateway plugins.
cp "$top_builddir/gateways/sandbox/.libs/sandbox.so" "$tmp/plugins/" &&
	chmod 644 "$tmp/plugins/sandbox.so"
# portald drops to nobody below: it must reach the database's socket.
chmod 0711 "$tmp"
cat >"$tmp/portal.yaml" <<EOF
listen:
  socket: $tmp/portald.sock
database:
  socket: $PORTAL_DB_SOCKET
  user: portal
  password_file: $tmp/db-password
  migrate_user: portal_migrate
  migrate_password_file: $tmp/db-migrate-password
  name: portal
base_url: https://portal.example.org
secret_key_file: $tmp/secret.key
paths:
  templates: $top_srcdir/www/templates
  clinicians: $top_srcdir/config/clinicians
  plugins: $tmp/plugins
EOF
pc() {
	"$portalctl" -c "$tmp/portal.yaml" "$@"
}

check "portalctl config check passes on a good config" pc config check

# ---- db init: the database's two users ----
grep -v 'migrate_' "$tmp/portal.yaml" >"$tmp/nomig.yaml"
if "$portalctl" -c "$tmp/nomig.yaml" db init >"$tmp/out" 2>&1; then
	not_ok "portalctl db init refuses a configuration without migrate_user" "$(cat "$tmp/out")"
elif grep -q 'database.migrate_user' "$tmp/out" && [ ! -e "$tmp/db-password" ]; then
	ok "portalctl db init refuses a configuration without migrate_user, naming the key"
else
	not_ok "portalctl db init refuses a configuration without migrate_user, naming the key" "$(cat "$tmp/out")"
fi
# grants USER: the privileges of USER@localhost, one line each.
grants() {
	_mariadb_client "$PORTAL_DB_SOCKET" -N -e "SHOW GRANTS FOR '$1'@'localhost'" 2>&1
}
if pc db init >"$tmp/out" 2>&1; then
	rc=0
else
	rc=$?
fi
sed 's/^/# /' "$tmp/out"
rpw=$(cat "$tmp/db-password" 2>/dev/null)
mpw=$(cat "$tmp/db-migrate-password" 2>/dev/null)
if [ "$rc" = 0 ] && grep -q "^created runtime user 'portal'@'localhost'" "$tmp/out" &&
    grep -q "^created migration user 'portal_migrate'@'localhost'" "$tmp/out" &&
    [ "$(stat -c %a "$tmp/db-password")" = 600 ] && [ "$(stat -c %a "$tmp/db-migrate-password")" = 600 ] &&
    [ ${#rpw} -ge 32 ] && [ ${#mpw} -ge 32 ] && [ "$rpw" != "$mpw" ] &&
    ! grep -qF "$rpw" "$tmp/out" && ! grep -qF "$mpw" "$tmp/out"; then
	ok "portalctl db init makes both users with new passwords in 0600 files, and prints no password"
else
	not_ok "portalctl db init makes both users with new passwords in 0600 files, and prints no password" \
	    "exit $rc" "$(ls -l "$tmp")"
fi
grants portal >"$tmp/grants"
sed "s/IDENTIFIED BY PASSWORD '[^']*'/IDENTIFIED BY PASSWORD (hash)/; s/^/# /" "$tmp/grants"
if grep -q '^GRANT SELECT, INSERT, UPDATE, DELETE ON `portal`\.\* TO `portal`@`localhost`$' "$tmp/grants" &&
    [ "$(grep -vc '^GRANT USAGE ON \*\.\* TO `portal`@`localhost` IDENTIFIED BY PASSWORD' "$tmp/grants")" = 1 ]; then
	ok "the runtime user holds SELECT, INSERT, UPDATE, DELETE on portal.* and nothing else"
else
	not_ok "the runtime user holds SELECT, INSERT, UPDATE, DELETE on portal.* and nothing else" "$(cat "$tmp/grants")"
fi
if grants portal_migrate | grep -q '^GRANT ALL PRIVILEGES ON `portal`\.\* TO `portal_migrate`@`localhost`$'; then
	ok "the migration user holds ALL PRIVILEGES on portal.*"
else
	not_ok "the migration user holds ALL PRIVILEGES on portal.*" "$(grants portal_migrate)"
fi
_mariadb_client "$PORTAL_DB_SOCKET" -e "GRANT CREATE ON portal.* TO 'portal'@'localhost'"
if pc db init >"$tmp/out" 2>&1 && grep -q "^updated runtime user 'portal'@'localhost'" "$tmp/out" &&
    grep -q '^database portal exists' "$tmp/out" && [ "$(cat "$tmp/db-password")" = "$rpw" ] &&
    ! grants portal | grep -q 'CREATE'; then
	ok "portalctl db init again keeps the password files and takes back a privilege granted since"
else
	not_ok "portalctl db init again keeps the password files and takes back a privilege granted since" \
	    "$(cat "$tmp/out")" "$(grants portal)"
fi
# as_runtime SQL: runs SQL as the runtime user, over the socket.
as_runtime() {
	mariadb --no-defaults --socket="$PORTAL_DB_SOCKET" -uportal -p"$rpw" portal -N -e "$1" 2>&1
}
sed 's/^base_url:/base_urll:/' "$tmp/portal.yaml" >"$tmp/bad.yaml"
if "$portalctl" -c "$tmp/bad.yaml" config check >"$tmp/out" 2>&1; then
	not_ok "portalctl config check fails on an unknown key" "$(cat "$tmp/out")"
elif grep -q 'bad.yaml:[0-9]*:[0-9]*: .*base_urll' "$tmp/out"; then
	ok "portalctl config check fails on an unknown key, naming file:line:col"
else
	not_ok "portalctl config check names the unknown key" "$(cat "$tmp/out")"
fi

# Before any migration: db status lists them all as pending (exit 3), and
# portald refuses to start, naming the command to run.
nmig=$(cd "$top_srcdir/sql" && ls | grep -c '^[0-9][0-9][0-9][0-9]*_.*\.sql$')
pc db status --sql-dir "$top_srcdir/sql" >"$tmp/out" 2>&1
rc=$?
if [ "$rc" = 3 ] && [ "$(grep -c '^pending [0-9]*_.*\.sql$' "$tmp/out")" = "$nmig" ] &&
    grep -q '^pending 0001_init.sql$' "$tmp/out" && grep -q 'run portalctl db migrate' "$tmp/out"; then
	ok "portalctl db status lists every migration as pending on a new database (exit 3)"
else
	not_ok "portalctl db status lists every migration as pending on a new database (exit 3)" \
	    "exit $rc" "$(cat "$tmp/out")"
fi
timeout 20 "${PORTALD:-$top_builddir/portald}" -c "$tmp/portal.yaml" >"$tmp/out" 2>&1
rc=$?
if [ "$rc" != 0 ] && [ "$rc" != 124 ] && grep -q 'portalctl db migrate' "$tmp/out" &&
    grep -q '0001_init.sql' "$tmp/out" && [ ! -S "$tmp/portald.sock" ]; then
	ok "portald with pending migrations exits $rc, naming portalctl db migrate, before opening its socket"
else
	not_ok "portald with pending migrations exits non-zero, naming portalctl db migrate" \
	    "exit $rc" "$(cat "$tmp/out")"
fi

if pc db migrate --sql-dir "$top_srcdir/sql" >"$tmp/out" 2>&1 &&
    grep -q '^applied 0001_init.sql' "$tmp/out"; then
	ok "portalctl db migrate applies the migrations"
else
	not_ok "portalctl db migrate applies the migrations" "$(cat "$tmp/out")"
fi
if pc db migrate --sql-dir "$top_srcdir/sql" >"$tmp/out" 2>&1 &&
    grep -q 'up to date' "$tmp/out" && ! grep -q '^applied' "$tmp/out"; then
	ok "portalctl db migrate a second time applies nothing"
else
	not_ok "portalctl db migrate a second time applies nothing" "$(cat "$tmp/out")"
fi
out=$(as_runtime "SELECT COUNT(*) FROM schema_migrations")
if [ "$out" = "$nmig" ]; then
	ok "the runtime user reads the portal's tables"
else
	not_ok "the runtime user reads the portal's tables" "$out"
fi
out=$(as_runtime "ALTER TABLE clients ADD COLUMN nickname VARCHAR(20)")
printf '%s\n' "$out" | sed 's/^/# /'
if printf '%s\n' "$out" | grep -q '^ERROR 1142 .*ALTER command denied to user .portal.@.localhost. for table .*clients'; then
	ok "the runtime user cannot ALTER TABLE (ERROR 1142, shown above)"
else
	not_ok "the runtime user cannot ALTER TABLE" "$out"
fi
out=$(as_runtime "DROP TABLE audit_log")
if printf '%s\n' "$out" | grep -q '^ERROR 1142 .*DROP command denied'; then
	ok "the runtime user cannot DROP a table"
else
	not_ok "the runtime user cannot DROP a table" "$out"
fi

# ---- portald's user: never root ----
portald=${PORTALD:-$top_builddir/portald}
# portald_refuses NAME YAML PATTERN: portald -c YAML exits 1, its output
# matching PATTERN, without having opened its socket.
portald_refuses() {
	local rc
	timeout 20 "$portald" -c "$2" >"$tmp/out" 2>&1
	rc=$?
	if [ "$rc" = 1 ] && grep -q "$3" "$tmp/out" && [ ! -S "$tmp/portald.sock" ]; then
		ok "$1"
	else
		not_ok "$1" "exit $rc" "$(cat "$tmp/out")"
	fi
}
# with_user USER [GROUP]: portal.yaml with listen.user (and group) set.
with_user() {
	awk -v u="$1" -v g="${2:-}" '{ print } /^listen:$/ { print "  user: " u; if (g != "") print "  group: " g }' \
	    "$tmp/portal.yaml" >"$tmp/user.yaml"
}
portald_refuses "portald started as root without listen.user exits 1 before opening its socket" \
    "$tmp/portal.yaml" 'listen.user is not set'
with_user root
portald_refuses "portald refuses listen.user root" "$tmp/user.yaml" 'workers never run as root'
with_user nobody root
portald_refuses "portald refuses listen.group root" "$tmp/user.yaml" 'workers never run as root'
with_user no-such-user-here
"$portald" -t -c "$tmp/user.yaml" >"$tmp/out" 2>&1
rc=$?
if [ "$rc" = 1 ] && grep -q 'listen.user no-such-user-here: no such user' "$tmp/out"; then
	ok "portald -t fails on a listen.user that does not exist"
else
	not_ok "portald -t fails on a listen.user that does not exist" "exit $rc" "$(cat "$tmp/out")"
fi
"$portald" -t -c "$tmp/portal.yaml" >"$tmp/out" 2>&1
rc=$?
if [ "$rc" = 0 ] && grep -q 'warning: .*listen.user is not set' "$tmp/out" && grep -q 'configuration OK' "$tmp/out"; then
	ok "portald -t as root warns when listen.user is not set"
else
	not_ok "portald -t as root warns when listen.user is not set" "exit $rc" "$(cat "$tmp/out")"
fi
with_user nobody
echo "log_format: json" >>"$tmp/user.yaml"
"$portald" -c "$tmp/user.yaml" >"$tmp/portald.out" 2>&1 &
pd=$!
for _ in $(seq 1 100); do
	[ -S "$tmp/portald.sock" ] && [ "$(pgrep -c -P "$pd")" -ge 1 ] && break
	sleep 0.1
done
sleep 0.3
users=$(ps -o user= -p "$pd" --ppid "$pd" | sort | uniq -c | sed 's/^ *//')
kill -TERM "$pd" 2>/dev/null
wait "$pd" 2>/dev/null
echo "# ps -o user= of the master and its workers: $users"
if printf '%s\n' "$users" | grep -qx '[0-9]* nobody' && ! printf '%s\n' "$users" | grep -q root &&
    grep -q '"event":"running_as","user":"nobody"' "$tmp/portald.out"; then
	ok "portald started as root runs its master and workers as listen.user (nobody)"
else
	not_ok "portald started as root runs its master and workers as listen.user (nobody)" "$users" "$(cat "$tmp/portald.out")"
fi
# log_format: json: every line portald wrote is one JSON object with ts,
# level, pid (a number) and event.
if out=$(python3 -c '
import json, sys
n = 0
for line in open(sys.argv[1]):
    o = json.loads(line)
    assert isinstance(o["pid"], int) and o["level"] and o["ts"] and o["event"], line
    n += 1
assert n >= 2, n
print(n)' "$tmp/portald.out" 2>&1); then
	ok "log_format: json gives one JSON object per line ($out lines, each with ts, level, pid, event)"
else
	not_ok "log_format: json gives one JSON object per line" "$out" "$(cat "$tmp/portald.out")"
fi

pc db status --sql-dir "$top_srcdir/sql" >"$tmp/out" 2>&1
rc=$?
if [ "$rc" = 0 ] && [ "$(grep -c '^applied [0-9]*_.*\.sql$' "$tmp/out")" = "$nmig" ] &&
    ! grep -q '^pending' "$tmp/out" && grep -q 'up to date' "$tmp/out"; then
	ok "portalctl db status lists every migration as applied after db migrate (exit 0)"
else
	not_ok "portalctl db status lists every migration as applied after db migrate (exit 0)" \
	    "exit $rc" "$(cat "$tmp/out")"
fi

token=
if pc client create --practice demo --email Jordan.Lee@Example.org \
    --first Jordan --last Lee --dob 1988-03-14 >"$tmp/out" 2>&1; then
	token=$(sed -n 's|^https://portal.example.org/invite/\([A-Za-z0-9_-]\{43\}\)$|\1|p' "$tmp/out")
fi
if [ -n "$token" ]; then
	ok "portalctl client create prints a one-time invitation link"
else
	not_ok "portalctl client create prints a one-time invitation link" "$(cat "$tmp/out")"
fi
stored=$(_mariadb_client "$PORTAL_DB_SOCKET" portal -N -e \
	"SELECT invite_token_hash FROM portal_users WHERE email = 'jordan.lee@example.org'" 2>&1)
want=$(printf '%s' "$token" | sha256sum | cut -d' ' -f1)
if [ -n "$token" ] && [ "$stored" = "$want" ] &&
    ! _mariadb_client "$PORTAL_DB_SOCKET" portal -N -e \
	"SELECT * FROM portal_users; SELECT * FROM audit_log" | grep -qF "$token"; then
	ok "only the sha256 of the invitation token is stored"
else
	not_ok "only the sha256 of the invitation token is stored" "stored=$stored want=$want"
fi

if pc client list >"$tmp/out" 2>&1 &&
    grep -E 'demo +Jordan Lee +jordan.lee@example.org +1988-03-14 +invited' "$tmp/out" >/dev/null; then
	ok "portalctl client list shows the client as invited"
else
	not_ok "portalctl client list shows the client as invited" "$(cat "$tmp/out")"
fi
if pc client list --practice harbor-family >"$tmp/out" 2>&1 &&
    ! grep -q jordan "$tmp/out"; then
	ok "portalctl client list --practice shows only that practice"
else
	not_ok "portalctl client list --practice shows only that practice" "$(cat "$tmp/out")"
fi

if pc client create --practice demo --email jordan.lee@example.org \
    --first J --last L >"$tmp/out" 2>"$tmp/err"; then
	not_ok "portalctl client create refuses a second account for an email" "$(cat "$tmp/out")"
elif [ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -q 'exists already' "$tmp/err"; then
	ok "portalctl client create refuses a second account for an email, in one line"
else
	not_ok "portalctl client create refuses a second account for an email, in one line" "$(cat "$tmp/err")"
fi

token2=
if pc client invite --email jordan.lee@example.org >"$tmp/out" 2>&1; then
	token2=$(sed -n 's|^https://portal.example.org/invite/\([A-Za-z0-9_-]\{43\}\)$|\1|p' "$tmp/out")
fi
stored=$(_mariadb_client "$PORTAL_DB_SOCKET" portal -N -e \
	"SELECT invite_token_hash FROM portal_users WHERE email = 'jordan.lee@example.org'" 2>&1)
want=$(printf '%s' "$token2" | sha256sum | cut -d' ' -f1)
if [ -n "$token2" ] && [ "$token2" != "$token" ] && [ "$stored" = "$want" ]; then
	ok "portalctl client invite replaces the invitation"
else
	not_ok "portalctl client invite replaces the invitation" "$(cat "$tmp/out")"
fi

printf 'demo-password-1\n' >"$tmp/pw"
if pc demo seed --email client@example.org --password-file "$tmp/pw" >/dev/null 2>"$tmp/err" &&
    pc demo seed --email client@example.org --password-file "$tmp/pw" >/dev/null 2>>"$tmp/err" &&
    [ "$(_mariadb_client "$PORTAL_DB_SOCKET" portal -N -e \
	"SELECT COUNT(*) FROM portal_users WHERE email = 'client@example.org' AND password_hash LIKE '\$argon2id\$%'")" = 1 ] &&
    pc client list | grep -E 'client@example.org +- +active' >/dev/null; then
	ok "portalctl demo seed is idempotent and sets an Argon2id password"
else
	not_ok "portalctl demo seed is idempotent and sets an Argon2id password" "$(cat "$tmp/err")"
fi

# Usage errors exit 2 in every command frame, runtime errors 1 (portalctl(8)).
# usage_exit NAME ARGS...: portalctl ARGS exits 2 with one line on stderr.
usage_exit() {
	local name=$1 rc
	shift
	pc "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" = 2 ] && [ ! -s "$tmp/out" ] && grep -q '^portalctl: ' "$tmp/err"; then
		ok "portalctl $name exits 2 with its reason on stderr"
	else
		not_ok "portalctl $name exits 2 with its reason on stderr" "exit $rc" "$(cat "$tmp/out" "$tmp/err")"
	fi
}
usage_exit "with an unknown command" no such
usage_exit "with an unknown option" client list --bogus
usage_exit "with an option missing its value" client list --practice
usage_exit "without a required option" invoice list
usage_exit "(docs) with an unknown option" statement create --bogus x
usage_exit "(docs) without a required option" statement create --email a@example.org
usage_exit "autopay with an unknown command" autopay bogus
usage_exit "autopay with an unknown option" autopay status --bogus x
usage_exit "mail with an unknown command" mail bogus
usage_exit "mail with an unknown option" mail send --bogus
# COMMAND --help in every frame: its usage on stdout, exit 0.
bad=
for cmd in "db init" "client create" "statement create" "autopay run" "mail send" "mail status"; do
	# shellcheck disable=SC2086 # the command's words
	pc $cmd --help >"$tmp/out" 2>"$tmp/err"
	rc=$?
	{ [ "$rc" = 0 ] && grep -q "${cmd#* }" "$tmp/out" && [ ! -s "$tmp/err" ]; } || bad="$bad [$cmd: exit $rc $(head -c 200 "$tmp/err")]"
done
if [ -z "$bad" ]; then
	ok "portalctl COMMAND --help prints a usage naming the command on stdout and exits 0, in every frame"
else
	not_ok "portalctl COMMAND --help prints its usage and exits 0, in every frame" "$bad"
fi
pc -c "$tmp/nowhere.yaml" client list >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ "$rc" = 1 ] && grep -q 'nowhere.yaml' "$tmp/err"; then
	ok "portalctl with a configuration that does not load exits 1 (a runtime error)"
else
	not_ok "portalctl with a configuration that does not load exits 1 (a runtime error)" "exit $rc" "$(cat "$tmp/err")"
fi

if pc db migrate --sql-dir "$tmp/nowhere" >"$tmp/out" 2>"$tmp/err"; then
	not_ok "portalctl db migrate fails on a missing folder" "$(cat "$tmp/out")"
elif grep -q "$tmp/nowhere" "$tmp/err"; then
	ok "portalctl db migrate names a missing migrations folder"
else
	not_ok "portalctl db migrate names a missing migrations folder" "$(cat "$tmp/err")"
fi

echo "1..$n"
[ "$failed" -eq 0 ]
