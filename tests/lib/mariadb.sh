# shellcheck shell=bash
# tests/lib/mariadb.sh: a private, throwaway MariaDB server for tests and the
# demo. Source it, then:
#
#   mariadb_start DIR
#       Initialises DIR/data on first use (mariadb-install-db, root with
#       password-less "normal" authentication, no test db) or reuses it,
#       writes DIR/my.cnf (0644), starts mariadbd on the unix socket
#       DIR/mysql.sock with networking off and small memory, waits until it
#       answers, creates the database $PORTAL_DB_NAME (default "portal") and
#       exports PORTAL_DB_SOCKET, MARIADB_DIR and MARIADB_PID. A server this
#       library already started in DIR and that still answers is reused.
#       Returns non-zero with a message on stderr (and the tail of
#       DIR/error.log) when it cannot.
#   mariadb_stop [DIR]
#       Stops the server started by mariadb_start (MARIADB_PID, or the pid
#       recorded in DIR/mariadbd.pid): SIGTERM, waits up to 10 s, then
#       SIGKILL. Only that pid, and only if it still is a mariadbd.
#   mariadb_sql [SQL]
#       Runs SQL (or stdin) as root on the running server's socket, in the
#       database $PORTAL_DB_NAME.
#
# Nothing here touches a system service, /etc/mysql or /var/lib/mysql: the
# server reads only DIR/my.cnf (--defaults-file).

_mariadb_log() {
	echo "mariadb.sh: $*" >&2
}

_mariadb_bin() {
	local n
	for n in "$@"; do
		if command -v "$n" >/dev/null 2>&1; then
			command -v "$n"
			return 0
		fi
		for d in /usr/sbin /usr/bin /usr/local/sbin /usr/local/bin; do
			if [ -x "$d/$n" ]; then
				echo "$d/$n"
				return 0
			fi
		done
	done
	return 1
}

# _mariadb_is_ours PID: the pid is alive and is a mariadbd (or mysqld).
_mariadb_is_ours() {
	local pid=$1 comm
	[ -n "$pid" ] || return 1
	kill -0 "$pid" 2>/dev/null || return 1
	comm=$(cat "/proc/$pid/comm" 2>/dev/null) || return 1
	# An exited child not yet reaped is gone for our purposes.
	case $(cut -d' ' -f3 "/proc/$pid/stat" 2>/dev/null) in
	Z | X | "") return 1 ;;
	esac
	case $comm in
	mariadbd | mysqld) return 0 ;;
	esac
	return 1
}

_mariadb_client() {
	local sock=$1
	shift
	"$(_mariadb_bin mariadb mysql)" --no-defaults --socket="$sock" -uroot "$@"
}

_mariadb_answers() {
	_mariadb_client "$1" -N -e 'SELECT 1' >/dev/null 2>&1
}

mariadb_start() {
	local dir=$1 mariadbd install_db pid i sock db
	if [ -z "$dir" ]; then
		_mariadb_log "usage: mariadb_start DIR"
		return 2
	fi
	mkdir -p "$dir" || return 1
	dir=$(cd "$dir" && pwd) || return 1
	sock=$dir/mysql.sock
	db=${PORTAL_DB_NAME:-portal}
	if [ ${#sock} -gt 100 ]; then
		_mariadb_log "$sock: socket path too long (unix sockets allow ~107 bytes)"
		return 1
	fi
	mariadbd=$(_mariadb_bin mariadbd mysqld) || {
		_mariadb_log "mariadbd not found: apt-get install mariadb-server"
		return 1
	}
	install_db=$(_mariadb_bin mariadb-install-db mysql_install_db) || {
		_mariadb_log "mariadb-install-db not found: apt-get install mariadb-server"
		return 1
	}
	_mariadb_bin mariadb mysql >/dev/null || {
		_mariadb_log "mariadb client not found: apt-get install mariadb-client"
		return 1
	}

	# A server of ours still running in DIR: reuse it.
	pid=$(cat "$dir/mariadbd.pid" 2>/dev/null)
	if _mariadb_is_ours "$pid" && _mariadb_answers "$sock"; then
		MARIADB_DIR=$dir MARIADB_PID=$pid PORTAL_DB_SOCKET=$sock
		export MARIADB_DIR MARIADB_PID PORTAL_DB_SOCKET
		_mariadb_client "$sock" -e "CREATE DATABASE IF NOT EXISTS \`$db\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci" || return 1
		return 0
	fi
	if _mariadb_is_ours "$pid"; then
		_mariadb_log "a mariadbd (pid $pid) holds $dir but does not answer; stop it first"
		return 1
	fi
	rm -f "$sock" "$sock.lock" "$dir/mariadbd.pid"
	mkdir -p "$dir/tmp" || return 1

	(umask 022 && cat >"$dir/my.cnf") <<EOF || return 1
# my.cnf of the private test/demo MariaDB in $dir (tests/lib/mariadb.sh).
[mariadbd]
user = root
datadir = $dir/data
socket = $sock
pid-file = $dir/mariadbd.pid
log-error = $dir/error.log
tmpdir = $dir/tmp
skip-networking
skip-name-resolve
character-set-server = utf8mb4
collation-server = utf8mb4_unicode_ci
default-time-zone = +00:00
max_connections = 300
performance_schema = OFF
innodb_buffer_pool_size = 64M
innodb_log_file_size = 16M
innodb_log_buffer_size = 4M
innodb_flush_log_at_trx_commit = 2
innodb_flush_method = O_DIRECT
key_buffer_size = 1M
aria_pagecache_buffer_size = 4M
query_cache_size = 0
query_cache_type = 0
thread_cache_size = 16
table_open_cache = 400
tmp_table_size = 8M
max_heap_table_size = 8M
loose-innodb_use_native_aio = 0
loose-feedback = OFF
EOF
	chmod 0644 "$dir/my.cnf"

	if [ ! -d "$dir/data/mysql" ]; then
		rm -rf "$dir/data"
		if ! "$install_db" --defaults-file="$dir/my.cnf" --user=root \
		    --auth-root-authentication-method=normal --skip-test-db \
		    --datadir="$dir/data" >"$dir/install.log" 2>&1; then
			_mariadb_log "mariadb-install-db failed (log: $dir/install.log)"
			tail -20 "$dir/install.log" >&2
			return 1
		fi
	fi

	"$mariadbd" --defaults-file="$dir/my.cnf" </dev/null >>"$dir/error.log" 2>&1 &
	pid=$!
	echo "$pid" >"$dir/mariadbd.pid.start"
	MARIADB_DIR=$dir MARIADB_PID=$pid
	export MARIADB_DIR MARIADB_PID
	for i in $(seq 1 300); do
		if ! kill -0 "$pid" 2>/dev/null; then
			_mariadb_log "mariadbd exited during start-up (log: $dir/error.log)"
			tail -20 "$dir/error.log" >&2
			MARIADB_PID=
			return 1
		fi
		if [ -S "$sock" ] && _mariadb_answers "$sock"; then
			break
		fi
		sleep 0.1
	done
	if ! _mariadb_answers "$sock"; then
		_mariadb_log "mariadbd did not answer within 30 s (log: $dir/error.log)"
		tail -20 "$dir/error.log" >&2
		mariadb_stop "$dir"
		return 1
	fi
	# The server writes its own pid file; keep ours in step with it.
	echo "$pid" >"$dir/mariadbd.pid"
	rm -f "$dir/mariadbd.pid.start"
	PORTAL_DB_SOCKET=$sock
	export PORTAL_DB_SOCKET
	if ! _mariadb_client "$sock" -e "CREATE DATABASE IF NOT EXISTS \`$db\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"; then
		_mariadb_log "cannot create database $db"
		return 1
	fi
	return 0
}

mariadb_stop() {
	local dir=${1:-${MARIADB_DIR:-}} pid=${MARIADB_PID:-} i
	if [ -n "${1:-}" ] || [ -z "$pid" ]; then
		[ -n "$dir" ] || return 0
		pid=$(cat "$dir/mariadbd.pid" 2>/dev/null ||
			cat "$dir/mariadbd.pid.start" 2>/dev/null)
	fi
	if ! _mariadb_is_ours "$pid"; then
		MARIADB_PID=
		return 0
	fi
	kill -TERM "$pid" 2>/dev/null
	for i in $(seq 1 100); do
		_mariadb_is_ours "$pid" || break
		sleep 0.1
	done
	if _mariadb_is_ours "$pid"; then
		_mariadb_log "mariadbd $pid did not stop in 10 s; killing it"
		kill -KILL "$pid" 2>/dev/null
		sleep 0.2
	fi
	# Reap it when it is our child (no zombie left behind).
	wait "$pid" 2>/dev/null
	MARIADB_PID=
	if [ -n "$dir" ]; then
		rm -f "$dir/mariadbd.pid.start"
	fi
	return 0
}

mariadb_sql() {
	local sock=${PORTAL_DB_SOCKET:-${MARIADB_DIR:+$MARIADB_DIR/mysql.sock}}
	if [ -z "$sock" ]; then
		_mariadb_log "mariadb_sql: no server (run mariadb_start first)"
		return 1
	fi
	if [ $# -gt 0 ]; then
		_mariadb_client "$sock" "${PORTAL_DB_NAME:-portal}" -e "$1"
	else
		_mariadb_client "$sock" "${PORTAL_DB_NAME:-portal}"
	fi
}
