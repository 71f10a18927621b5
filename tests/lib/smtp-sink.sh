# tests/lib/smtp-sink.sh: start and stop the loopback SMTP server of the mail
# tests (tests/lib/smtp-sink.py, on Debian's python3-aiosmtpd). Bash only;
# source tests/lib/stack.sh first (for stack_free_port).
#
#   sink_start DIR [ARGS...]
#       Starts the server on a free port of 127.0.0.1 (SINK_PORT, or the
#       one it had before), writing accepted messages to DIR (SINK_DIR);
#       ARGS go to smtp-sink.py (--hold-after N, --tls-cert/--tls-key,
#       --auth). Waits until it listens. SINK_PID is its pid.
#   sink_stop
#       Stops the server started by sink_start (SIGTERM, then SIGKILL).
#   sink_yaml [EXTRA LINES]
#       Prints the portal.yaml mail: block for the server (starttls off,
#       from billing@portal.test, short back-off and claim timeout for the
#       tests; an EXTRA line "key: value" replaces a default), for
#       STACK_YAML_EXTRA.
#   sink_count
#       Prints how many messages the server has accepted.
SINK_PY=${SINK_PY:-/usr/bin/python3}

sink_start() {
	local dir=$1 i
	shift
	mkdir -p "$dir" || return 1
	SINK_DIR=$(cd "$dir" && pwd)
	[ -n "${SINK_PORT:-}" ] || SINK_PORT=$(stack_free_port) || return 1
	rm -f "$SINK_DIR/holding" "$SINK_DIR/ready"
	"$SINK_PY" "$top_srcdir/tests/lib/smtp-sink.py" --port "$SINK_PORT" \
	    --dir "$SINK_DIR" "$@" >"$SINK_DIR/ready" 2>>"$SINK_DIR/../sink.log" &
	SINK_PID=$!
	for i in $(seq 1 100); do
		grep -q '^ready' "$SINK_DIR/ready" 2>/dev/null && return 0
		kill -0 "$SINK_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "smtp-sink did not start (see $SINK_DIR/../sink.log)" >&2
	return 1
}

sink_stop() {
	local i
	[ -n "${SINK_PID:-}" ] || return 0
	kill "$SINK_PID" 2>/dev/null
	for i in $(seq 1 50); do
		kill -0 "$SINK_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -9 "$SINK_PID" 2>/dev/null
	wait "$SINK_PID" 2>/dev/null
	SINK_PID=
}

sink_yaml() {
	local l d
	printf 'mail:\n  smtp_url: smtp://127.0.0.1:%s\n' "$SINK_PORT"
	for d in "starttls: off" "from: billing@portal.test" "retry_base: 1s" \
	    "retry_max: 2s" "claim_timeout: 1s" "timeout: 5s"; do
		case " $* " in *" ${d%%:*}:"*) ;; *) printf '  %s\n' "$d" ;; esac
	done
	for l in "$@"; do
		printf '  %s\n' "$l"
	done
}

sink_count() {
	find "$SINK_DIR" -maxdepth 1 -name '*.eml' | wc -l
}
