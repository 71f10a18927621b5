# tests/lib/stack.sh: start and stop a private portal stack (MariaDB, portald, nginx) in one directory.
#
# Sourced by ./dev, the browser tests (tests/e2e/run.sh), the fault tests
# (tests/fault/) and the benchmark (tests/bench/run). Bash only.
#
#   source tests/lib/stack.sh
#
#   stack_free_port
#       Prints a TCP port on 127.0.0.1 that nothing listens on right now.
#
#   stack_start DIR [PORT]
#       Starts a whole stack whose state lives in DIR (created if missing):
#         DIR/db/             MariaDB (tests/lib/mariadb.sh: mariadb_start DIR/db)
#         DIR/portal.yaml     portald's config, rewritten on every start
#         DIR/secret.key      32 random bytes, mode 0600, made once
#         DIR/sandbox-secret.key  the sandbox processor's secret key
#                             (sk_test_<hex>), mode 0600, made once
#         DIR/clinicians/     copies of the practice files (config/clinicians,
#                             or STACK_CLINICIANS), rewritten on every start:
#                             an "api_base: http://127.0.0.1:N" (or localhost)
#                             becomes SIM_URL, "secret_key_env:
#                             SANDBOX_SECRET_KEY" becomes "secret_key_file:
#                             DIR/sandbox-secret.key"; edit these (then
#                             SIGHUP portald) to switch a practice's processor
#         DIR/plugins/        copies of the plugins (*.so of STACK_PLUGINS),
#                             dir 0755 and files 0755, as the loader demands
#         DIR/nginx.conf      rendered from config/nginx/portal.conf.in
#         DIR/run/            portald.sock, portald.pid, nginx.pid, stack.pids,
#                             sandbox-sim.out (the simulator's stdout)
#         DIR/log/            portald.log (portald's stderr), nginx-error.log,
#                             nginx-access.log, portalctl.log, sandbox-sim.log
#         DIR/tmp/            nginx temp paths
#       The sandbox card processor simulator (tests/sim/sandbox-sim.mjs) runs
#       on 127.0.0.1 (a free port, or STACK_SIM_PORT) with the secret key of
#       DIR/sandbox-secret.key and --frame-ancestors set to the portal's
#       origin, so the portal's pages may frame its card tokenizer.
#       When run as root, portald drops to STACK_USER (default nobody;
#       listen.user) and nginx's workers run as www-data. If either cannot
#       reach DIR (a private mktemp dir, a clone under /root), DIR's state
#       moves to /tmp/portal-state-HASH and DIR becomes a symlink to it
#       (STACK_DIR is the real path; the next start prunes such dirs whose
#       DIR is gone); templates and static files they cannot read are
#       copied into DIR/templates and DIR/static. The secrets are 0640 with
#       STACK_USER's group; run/ belongs to STACK_USER.
#       Then makes the database's users (portalctl db init: portal, the
#       runtime user with SELECT/INSERT/UPDATE/DELETE only, password in
#       DIR/db-password; portal_migrate, password in DIR/db-migrate-password),
#       applies the migrations (portalctl db migrate), starts portald
#       and nginx in the background and waits until both answer. PORT
#       defaults to the one the previous start on DIR used, else a free one.
#       A second stack_start on the same DIR reuses the data. Returns 0 when
#       all is up; otherwise prints why (with the log tail) to stderr, stops
#       what it started and returns 1.
#
#   stack_stop [DIR]
#       Stops what stack_start started, in reverse order (nginx, portald,
#       the simulator, MariaDB): SIGTERM, up to 10 s, then SIGKILL. Only pids this library
#       started (kept in shell variables and DIR/run/stack.pids, each checked
#       against its program before a signal) are touched. With DIR, works from
#       another shell than the one that started the stack (./dev stop).
#
#   stack_env
#       Prints "export NAME=value" lines for the variables below (eval-able).
#
#   stack_portalctl ARGS...
#       Runs portalctl -c DIR/portal.yaml ARGS... of the running stack.
#
#   stack_secret FILE...
#       Makes FILE readable by portald's user (0640, directory 0750, with
#       its group), for a secret a test names in a practice file.
#
# Variables read (all optional):
#   top_srcdir, top_builddir  source and build trees (default: the tree this
#                             file is in)
#   PORTALD, PORTALCTL        the programs (default: $top_builddir/portald,
#                             $top_builddir/portalctl)
#   NGINX                     nginx binary (default: nginx on PATH or /usr/sbin/nginx)
#   STACK_WORKERS, STACK_THREADS   portald workers and threads per worker
#                             (default 2 and 8)
#   STACK_NGINX_EXTRA         nginx directives pasted into the server block
#                             (the benchmark adds its /__hello location);
#                             @RUN@ in it becomes the dir of portald's socket,
#                             @CONF_DIR@ config/nginx of the source tree
#   STACK_LOG_LEVEL           portald log_level (default info)
#   STACK_YAML_EXTRA          lines appended to portal.yaml (the mail tests
#                             add a mail: block naming tests/lib/smtp-sink.sh's
#                             server)
#   STACK_PLUGINS             where the plugins to copy into DIR/plugins are
#                             (default: where the build leaves the sandbox
#                             plugin, gateways/sandbox/.libs)
#   STACK_CLINICIANS          the practice files to copy (default
#                             config/clinicians of the source tree)
#   STACK_SIM_PORT            the simulator's port (default: a free one)
#   STACK_TEMPLATES, STACK_STATIC_DIR, STACK_SQL
#                             the templates, static files and migrations
#                             (default: www/templates, www/static and sql/
#                             of the source tree; the install check points
#                             them at a staged installation)
#   NODE                      node binary (default: node on PATH)
#   Anything else portald needs from its environment (e.g. the secret_key_env
#   variables the practices name, SANDBOX_SECRET_KEY) is passed through:
#   export it before stack_start.
#   STACK_USER                the user portald runs as when started as root
#                             (default nobody)
#   STACK_SOCKET_GROUP        group of portald's socket (default: the group
#                             nginx workers run as: www-data when root, else
#                             the caller's group)
#
# Variables set (exported) by stack_start:
#   STACK_DIR, STACK_PORT, STACK_URL (http://127.0.0.1:PORT), PORTAL_CONFIG
#   (DIR/portal.yaml), STACK_SOCKET (portald's socket), STACK_PORTALD_PID
#   (portald master), STACK_NGINX_PID, PORTAL_DB_SOCKET (from mariadb.sh),
#   SIM_URL (http://127.0.0.1:SIMPORT, the simulator; its test endpoints are
#   SIM_URL/__admin/faults, SIM_URL/__admin/ledger, SIM_URL/__admin/reset),
#   STACK_SIM_PID.

if [ -z "${BASH_VERSION:-}" ]; then
	echo "tests/lib/stack.sh: needs bash" >&2
	return 1 2>/dev/null || exit 1
fi

: "${top_srcdir:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"

if ! declare -F mariadb_start >/dev/null; then
	# shellcheck source=tests/lib/mariadb.sh
	source "$top_srcdir/tests/lib/mariadb.sh" || {
		echo "stack.sh: cannot source $top_srcdir/tests/lib/mariadb.sh" >&2
		return 1 2>/dev/null || exit 1
	}
fi

STACK_PORTALD_PID=
STACK_NGINX_PID=
STACK_DB_STARTED=
STACK_SIM_PID=

# _stack_log MSG...: a line on stderr naming this library.
_stack_log() {
	echo "stack: $*" >&2
}

# stack_free_port: prints a port on 127.0.0.1 with no listener; the kernel
# picks it (bind to port 0), so two callers rarely collide.
stack_free_port() {
	local p
	if command -v python3 >/dev/null 2>&1; then
		p=$(python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])') && { echo "$p"; return 0; }
	fi
	# Fallback: random ports from the dynamic range that no one listens on.
	local _
	for _ in $(seq 1 50); do
		p=$((20000 + RANDOM % 30000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	_stack_log "no free port found"
	return 1
}

# _stack_alive PID: true when PID runs and is not a zombie.
_stack_alive() {
	local st
	[ -n "$1" ] && kill -0 "$1" 2>/dev/null || return 1
	st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
	[ "$st" != Z ]
}

# _stack_is PID NAME: true when PID is alive and runs a program whose file
# name is NAME (guards against signalling a recycled pid).
_stack_is() {
	local exe
	_stack_alive "$1" || return 1
	exe=$(readlink "/proc/$1/exe" 2>/dev/null) || return 1
	exe=${exe% (deleted)}
	[ "${exe##*/}" = "$2" ]
}

# _stack_kill PID [NAME]: SIGTERM, up to 10 s, then SIGKILL. With NAME,
# only when PID runs that program. Returns 0 when the process is gone.
_stack_kill() {
	local pid=$1 name=${2:-} _
	if [ -n "$name" ]; then
		_stack_is "$pid" "$name" || return 0
	fi
	_stack_alive "$pid" || { wait "$pid" 2>/dev/null; return 0; }
	kill -TERM "$pid" 2>/dev/null
	for _ in $(seq 1 100); do
		_stack_alive "$pid" || break
		sleep 0.1
	done
	if _stack_alive "$pid"; then
		_stack_log "pid $pid ${name:-} still running after 10 s: SIGKILL"
		kill -KILL "$pid" 2>/dev/null
		sleep 0.2
	fi
	wait "$pid" 2>/dev/null
	! _stack_alive "$pid"
}

# _stack_can USER TEST-FLAG PATH: true when USER passes test(1) FLAG on
# PATH (e.g. -x: USER can reach into a directory).
_stack_can() {
	runuser -u "$1" -- test "$2" "$3" 2>/dev/null
}

# _stack_prune: removes the state dirs of _stack_relocate whose origin is
# gone (a test's temporary dir, deleted after its stack stopped).
_stack_prune() {
	local s o
	for s in /tmp/portal-state-*; do
		[ -f "$s/origin" ] || continue
		o=$(cat "$s/origin")
		if [ ! -L "$o" ] || [ "$(readlink "$o")" != "$s" ]; then
			rm -rf "$s"
		fi
	done
}

# _stack_relocate DIR: DIR lies where portald's user or nginx's workers
# cannot reach (a private mktemp dir, /root): its state moves to
# /tmp/portal-state-HASH (HASH of DIR's path), which DIR becomes a symlink
# to; the file origin there names DIR, for _stack_prune.
_stack_relocate() {
	local dir=$1 real state
	real=$(cd "$dir" && pwd -P) || return 1
	case $real in
	/tmp/portal-state-*) return 0 ;;
	esac
	state=/tmp/portal-state-$(printf '%s' "$real" | sha256sum | cut -c1-16)
	mkdir -p "$state" || return 1
	chmod 0711 "$state"
	if [ -n "$(ls -A "$dir")" ]; then
		cp -a "$dir"/. "$state"/ || return 1
	fi
	rm -rf "$dir" && ln -s "$state" "$dir" || return 1
	printf '%s\n' "$real" >"$state/origin"
	_stack_log "portald's user or nginx's workers cannot reach $real: its state lives in $state"
}

# _stack_wait_socket PATH PID SECONDS: waits until PATH is a socket while
# PID lives.
_stack_wait_socket() {
	local _ n=$(($3 * 10))
	for _ in $(seq 1 "$n"); do
		[ -S "$1" ] && return 0
		_stack_alive "$2" || return 1
		sleep 0.1
	done
	return 1
}

# _stack_wait_http URL PID SECONDS: waits until URL answers (any status).
_stack_wait_http() {
	local _ n=$(($3 * 10))
	for _ in $(seq 1 "$n"); do
		if curl -s -o /dev/null --max-time 2 "$1"; then
			return 0
		fi
		_stack_alive "$2" || return 1
		sleep 0.1
	done
	return 1
}

# _stack_tail FILE: the end of a log, indented, on stderr.
_stack_tail() {
	[ -f "$1" ] || return 0
	echo "--- last lines of $1:" >&2
	tail -n 25 "$1" | sed 's/^/    /' >&2
}

# _stack_render IN OUT: writes IN with @NAME@ placeholders replaced.
_stack_render() {
	local text
	text=$(cat "$1") || return 1
	text=${text//@EXTRA@/${STACK_NGINX_EXTRA:-}}
	text=${text//@DIR@/$STACK_DIR}
	text=${text//@RUN@/$STACK_DIR/run}
	text=${text//@PORT@/$STACK_PORT}
	text=${text//@STATIC_ROOT@/$STACK_STATIC}
	text=${text//@TMP@/$STACK_DIR/tmp}
	text=${text//@SOCKET@/$STACK_SOCKET}
	text=${text//@CONF_DIR@/$top_srcdir/config/nginx}
	text=${text//@USER_LINE@/$_stack_user_line}
	printf '%s\n' "$text" >"$2"
}

# _stack_save_pids: records the pids this library started so stack_stop DIR
# works from another shell.
_stack_save_pids() {
	{
		echo "nginx=$STACK_NGINX_PID"
		echo "portald=$STACK_PORTALD_PID"
		echo "db=$STACK_DB_STARTED"
		echo "sim=$STACK_SIM_PID"
		echo "node=${NODE:-}"
	} >"$STACK_DIR/run/stack.pids"
}

# _stack_practices SRC: copies the practice files of SRC into
# STACK_DIR/clinicians, pointing a loopback api_base at SIM_URL and the
# sandbox's secret_key_env at STACK_DIR/sandbox-secret.key.
_stack_practices() {
	local src=$1 f out line re_base re_env
	re_base='^([[:space:]]+api_base:[[:space:]]*)"?http://(127\.0\.0\.1|localhost):[0-9]+/?"?[[:space:]]*(#.*)?$'
	re_env='^([[:space:]]+)secret_key_env:[[:space:]]*"?SANDBOX_SECRET_KEY"?[[:space:]]*(#.*)?$'
	re_plugin='^([[:space:]]+)plugin:[[:space:]]*"?sandbox"?[[:space:]]*(#.*)?$'
	rm -rf "$STACK_DIR/clinicians"
	mkdir -p "$STACK_DIR/clinicians" || return 1
	chmod 0755 "$STACK_DIR/clinicians"
	for f in "$src"/*.yaml; do
		[ -f "$f" ] || continue
		out=$STACK_DIR/clinicians/${f##*/}
		while IFS= read -r line || [ -n "$line" ]; do
			if [[ $line =~ $re_base ]]; then
				line="${BASH_REMATCH[1]}$SIM_URL"
			elif [[ $line =~ $re_env ]]; then
				line="${BASH_REMATCH[1]}secret_key_file: $STACK_DIR/sandbox-secret.key"
			elif [[ $line =~ $re_plugin ]]; then
				# The simulator signs its webhooks with this.
				line="$line"$'\n'"${BASH_REMATCH[1]}webhook_secret_file: $STACK_DIR/sandbox-webhook.key"
			fi
			printf '%s\n' "$line"
		done <"$f" >"$out" || return 1
		chmod 0644 "$out"
	done
}

# _stack_plugins SRC: copies SRC/*.so into STACK_DIR/plugins (0755): the
# loader refuses a plugin in a group- or world-writable dir, which a build
# tree may be.
_stack_plugins() {
	local src=$1 f
	rm -rf "$STACK_DIR/plugins"
	mkdir -p "$STACK_DIR/plugins" || return 1
	chmod 0755 "$STACK_DIR/plugins"
	for f in "$src"/*.so; do
		[ -e "$f" ] || continue
		cp -L "$f" "$STACK_DIR/plugins/${f##*/}" || return 1
		chmod 0755 "$STACK_DIR/plugins/${f##*/}"
	done
}

# _stack_sim_start: starts the sandbox simulator (STACK_SIM_PORT or a free
# port), waits for its "listening PORT" line, sets SIM_URL and STACK_SIM_PID.
_stack_sim_start() {
	local out=$STACK_DIR/run/sandbox-sim.out _ simport=
	: >"$out"
	SANDBOX_SECRET_KEY=$(cat "$STACK_DIR/sandbox-secret.key") \
	SANDBOX_WEBHOOK_SECRET=$(cat "$STACK_DIR/sandbox-webhook.key") \
	    "$NODE" "$top_srcdir/tests/sim/sandbox-sim.mjs" --host 127.0.0.1 \
	    --port "${STACK_SIM_PORT:-0}" \
	    --frame-ancestors "$STACK_URL http://localhost:$STACK_PORT" \
	    </dev/null >"$out" 2>>"$STACK_DIR/log/sandbox-sim.log" &
	STACK_SIM_PID=$!
	export STACK_SIM_PID
	_stack_save_pids
	for _ in $(seq 1 150); do
		simport=$(sed -n 's/^listening \([0-9][0-9]*\)$/\1/p' "$out" | head -n 1)
		[ -n "$simport" ] && break
		_stack_alive "$STACK_SIM_PID" || break
		sleep 0.1
	done
	if [ -z "$simport" ]; then
		_stack_log "the sandbox simulator did not start"
		_stack_tail "$STACK_DIR/log/sandbox-sim.log"
		return 1
	fi
	SIM_URL="http://127.0.0.1:$simport"
	export SIM_URL
}

stack_start() {
	local dir=$1 port=${2:-} group
	if [ -z "$dir" ]; then
		_stack_log "usage: stack_start DIR [PORT]"
		return 1
	fi
	mkdir -p "$dir" || return 1
	STACK_DIR=$(cd "$dir" && pwd -P)
	local nginx=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
	local portald=${PORTALD:-$top_builddir/portald}
	local portalctl=${PORTALCTL:-$top_builddir/portalctl}
	local node=${NODE:-$(command -v node || echo /usr/bin/node)}
	local p
	for p in "$portald" "$portalctl" "$nginx" "$node"; do
		if [ ! -x "$p" ]; then
			_stack_log "$p is missing or not executable (build first: make)"
			return 1
		fi
	done
	PORTALD=$portald
	PORTALCTL=$portalctl
	NGINX=$nginx
	NODE=$node

	if [ -z "$port" ] && [ -s "$STACK_DIR/port" ]; then
		port=$(cat "$STACK_DIR/port")
		if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			port=
		fi
	fi
	[ -n "$port" ] || port=$(stack_free_port) || return 1
	STACK_PORT=$port
	echo "$port" >"$STACK_DIR/port"
	STACK_URL="http://127.0.0.1:$port"
	PORTAL_CONFIG="$STACK_DIR/portal.yaml"

	# Run as root, portald drops to STACK_USER and nginx's workers run as
	# www-data: both must reach DIR, so a DIR out of their reach (under a
	# private mktemp dir or /root) is moved under /tmp, and a source tree
	# they cannot read has its templates and static files copied into DIR.
	STACK_STATIC=${STACK_STATIC_DIR:-$top_srcdir/www/static}
	STACK_TEMPLATES_DIR=${STACK_TEMPLATES:-$top_srcdir/www/templates}
	_stack_user_line=
	_stack_svc_user=
	if [ "$(id -u)" = 0 ]; then
		group=${STACK_SOCKET_GROUP:-www-data}
		_stack_user_line="user www-data $group;"
		_stack_svc_user=${STACK_USER:-nobody}
		_stack_svc_group=$(id -gn "$_stack_svc_user") || {
			_stack_log "no such user $_stack_svc_user (STACK_USER)"
			return 1
		}
		_stack_prune
		local parent
		parent=$(cd "$dir/.." && pwd -P)
		if ! _stack_can "$_stack_svc_user" -x "$parent" || ! _stack_can www-data -x "$parent"; then
			_stack_relocate "$dir" || return 1
		fi
	else
		group=${STACK_SOCKET_GROUP:-$(id -gn)}
		_stack_svc_group=$(id -gn)
	fi
	STACK_DIR=$(cd "$dir" && pwd -P)
	PORTAL_CONFIG="$STACK_DIR/portal.yaml"
	mkdir -p "$STACK_DIR/run" "$STACK_DIR/log" "$STACK_DIR/tmp" || return 1
	chmod 0711 "$STACK_DIR"
	chgrp "$group" "$STACK_DIR/run" "$STACK_DIR/tmp" 2>/dev/null
	chmod 0750 "$STACK_DIR/run"
	chmod 0770 "$STACK_DIR/tmp"
	if [ -n "$_stack_svc_user" ]; then
		# portald (STACK_USER) makes its socket in run/ and removes it.
		chown "$_stack_svc_user" "$STACK_DIR/run" || return 1
		local what src
		for what in static templates; do
			if [ $what = static ]; then src=$STACK_STATIC; else src=$STACK_TEMPLATES_DIR; fi
			if ! _stack_can www-data -r "$src/." || ! _stack_can www-data -x "$src" ||
			    ! _stack_can "$_stack_svc_user" -x "$src"; then
				rm -rf "${STACK_DIR:?}/$what"
				cp -R "$src" "$STACK_DIR/$what" || return 1
				chmod -R a+rX "$STACK_DIR/$what"
				_stack_log "$src is out of reach of nginx's workers or portald's user: using a copy in $STACK_DIR/$what"
				if [ $what = static ]; then STACK_STATIC=$STACK_DIR/$what; else STACK_TEMPLATES_DIR=$STACK_DIR/$what; fi
			fi
		done
	fi
	STACK_SOCKET="$STACK_DIR/run/portald.sock"

	# The secrets portald reads: its group (STACK_USER's) may read them.
	if [ ! -s "$STACK_DIR/secret.key" ]; then
		(umask 077 && head -c 32 /dev/urandom >"$STACK_DIR/secret.key") || return 1
	fi
	if [ ! -s "$STACK_DIR/sandbox-secret.key" ]; then
		(umask 077 && printf 'sk_test_%s\n' "$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')" \
		    >"$STACK_DIR/sandbox-secret.key") || return 1
	fi
	if [ ! -s "$STACK_DIR/sandbox-webhook.key" ]; then
		(umask 077 && printf 'whsec_%s\n' "$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')" \
		    >"$STACK_DIR/sandbox-webhook.key") || return 1
	fi
	local f
	for f in secret.key sandbox-secret.key sandbox-webhook.key; do
		chgrp "$_stack_svc_group" "$STACK_DIR/$f" && chmod 0640 "$STACK_DIR/$f" || return 1
	done

	if ! mariadb_start "$STACK_DIR/db"; then
		_stack_log "MariaDB did not start in $STACK_DIR/db"
		return 1
	fi
	STACK_DB_STARTED=1
	chmod 0711 "$STACK_DIR/db"
	export PORTAL_DB_SOCKET STACK_DIR STACK_PORT STACK_URL STACK_SOCKET PORTAL_CONFIG

	if ! _stack_sim_start; then
		stack_stop
		return 1
	fi
	if ! _stack_practices "${STACK_CLINICIANS:-$top_srcdir/config/clinicians}" ||
	    ! _stack_plugins "${STACK_PLUGINS:-$top_builddir/gateways/sandbox/.libs}"; then
		_stack_log "cannot copy the practice files or plugins into $STACK_DIR"
		stack_stop
		return 1
	fi

	cat >"$PORTAL_CONFIG" <<EOF
# portal.yaml of the private stack in $STACK_DIR (written by tests/lib/stack.sh
# on every start; edit tests/lib/stack.sh, not this file).
listen:
  socket: $STACK_SOCKET
  socket_mode: "0660"
  socket_group: $group
  workers: ${STACK_WORKERS:-2}
  threads: ${STACK_THREADS:-8}
${_stack_svc_user:+  user: $_stack_svc_user}
database:
  socket: $PORTAL_DB_SOCKET
  user: portal
  password_file: $STACK_DIR/db-password
  migrate_user: portal_migrate
  migrate_password_file: $STACK_DIR/db-migrate-password
  name: ${PORTAL_DB_NAME:-portal}
base_url: $STACK_URL
secret_key_file: $STACK_DIR/secret.key
paths:
  templates: $STACK_TEMPLATES_DIR
  clinicians: $STACK_DIR/clinicians
  plugins: $STACK_DIR/plugins
log_level: ${STACK_LOG_LEVEL:-info}
${STACK_YAML_EXTRA:-}
EOF

	# The database's two users (portald's may only read and write rows),
	# then the schema, as a new installation does it.
	if ! "$PORTALCTL" -c "$PORTAL_CONFIG" db init >>"$STACK_DIR/log/portalctl.log" 2>&1; then
		_stack_log "portalctl db init failed"
		_stack_tail "$STACK_DIR/log/portalctl.log"
		stack_stop
		return 1
	fi
	if ! "$PORTALCTL" -c "$PORTAL_CONFIG" db migrate --sql-dir "${STACK_SQL:-$top_srcdir/sql}" \
	    >>"$STACK_DIR/log/portalctl.log" 2>&1; then
		_stack_log "portalctl db migrate failed"
		_stack_tail "$STACK_DIR/log/portalctl.log"
		stack_stop
		return 1
	fi

	# A socket left by a killed portald would fool the wait below.
	if [ -e "$STACK_SOCKET" ] && ! _stack_is "$(cat "$STACK_DIR/run/portald.pid" 2>/dev/null)" "${PORTALD##*/}"; then
		rm -f "$STACK_SOCKET"
	fi
	"$PORTALD" -c "$PORTAL_CONFIG" -f -p "$STACK_DIR/run/portald.pid" \
	    </dev/null >>"$STACK_DIR/log/portald.log" 2>&1 &
	STACK_PORTALD_PID=$!
	export STACK_PORTALD_PID
	_stack_save_pids
	if ! _stack_wait_socket "$STACK_SOCKET" "$STACK_PORTALD_PID" 15; then
		_stack_log "portald did not open $STACK_SOCKET within 15 s"
		_stack_tail "$STACK_DIR/log/portald.log"
		stack_stop
		return 1
	fi

	_stack_render "$top_srcdir/config/nginx/portal.conf.in" "$STACK_DIR/nginx.conf" || {
		stack_stop
		return 1
	}
	if ! "$NGINX" -t -q -e "$STACK_DIR/log/nginx-error.log" -p "$STACK_DIR" \
	    -c "$STACK_DIR/nginx.conf" >>"$STACK_DIR/log/nginx-error.log" 2>&1; then
		_stack_log "nginx rejected $STACK_DIR/nginx.conf"
		_stack_tail "$STACK_DIR/log/nginx-error.log"
		stack_stop
		return 1
	fi
	"$NGINX" -e "$STACK_DIR/log/nginx-error.log" -p "$STACK_DIR" -c "$STACK_DIR/nginx.conf" \
	    </dev/null >>"$STACK_DIR/log/nginx-error.log" 2>&1 &
	STACK_NGINX_PID=$!
	export STACK_NGINX_PID
	_stack_save_pids
	if ! _stack_wait_http "$STACK_URL/login" "$STACK_NGINX_PID" 15; then
		_stack_log "nginx did not answer on $STACK_URL within 15 s"
		_stack_tail "$STACK_DIR/log/nginx-error.log"
		stack_stop
		return 1
	fi
	return 0
}

# shellcheck disable=SC2120 # DIR is for callers in another shell (./dev stop)
stack_stop() {
	local dir=${1:-${STACK_DIR:-}} rc=0 k v
	local ngx=$STACK_NGINX_PID pd=$STACK_PORTALD_PID db=$STACK_DB_STARTED
	local sim=${STACK_SIM_PID:-}
	# Our own children are signalled as they are; pids read from the file
	# of another shell only while they still run the program they ran.
	local ngx_name='' pd_name='' sim_name=''
	if [ -n "${1:-}" ] && [ -f "$dir/run/stack.pids" ] && [ -z "$ngx$pd$db$sim" ]; then
		ngx_name=$(basename "${NGINX:-nginx}")
		pd_name=$(basename "${PORTALD:-portald}")
		sim_name=node
		while IFS='=' read -r k v; do
			case $k in
			nginx) ngx=$v ;;
			portald) pd=$v ;;
			db) db=$v ;;
			sim) sim=$v ;;
			node) [ -n "$v" ] && sim_name=$(basename "$(readlink -f "$v")") ;;
			esac
		done <"$dir/run/stack.pids"
	fi
	if [ -n "$ngx" ]; then
		_stack_kill "$ngx" "$ngx_name" || rc=1
	fi
	if [ -n "$pd" ]; then
		_stack_kill "$pd" "$pd_name" || rc=1
	fi
	if [ -n "$sim" ]; then
		_stack_kill "$sim" "$sim_name" || rc=1
	fi
	if [ -n "$db" ]; then
		if [ -n "${1:-}" ]; then
			mariadb_stop "$dir/db" || rc=1 # finds the pid in its dir
		else
			mariadb_stop || rc=1
		fi
	fi
	STACK_NGINX_PID=
	STACK_PORTALD_PID=
	STACK_DB_STARTED=
	STACK_SIM_PID=
	[ -n "$dir" ] && [ -d "$dir/run" ] && : >"$dir/run/stack.pids"
	return $rc
}

stack_env() {
	local v
	for v in STACK_DIR STACK_PORT STACK_URL STACK_SOCKET PORTAL_CONFIG \
	    STACK_PORTALD_PID STACK_NGINX_PID PORTAL_DB_SOCKET SIM_URL STACK_SIM_PID; do
		printf 'export %s=%q\n' "$v" "${!v:-}"
	done
}

# stack_secret FILE...: lets portald's user (STACK_USER's group) read FILE,
# a secret a practice file names after the start (portald reads it again on
# SIGHUP, as that user): the file becomes 0640 and its directory 0750, both
# with that group.
stack_secret() {
	local f g=${_stack_svc_group:-$(id -gn)}
	for f in "$@"; do
		chgrp "$g" "$f" "$(dirname "$f")" && chmod 0640 "$f" &&
		    chmod 0750 "$(dirname "$f")" || return 1
	done
}

stack_portalctl() {
	"${PORTALCTL:-$top_builddir/portalctl}" -c "$PORTAL_CONFIG" "$@"
}
