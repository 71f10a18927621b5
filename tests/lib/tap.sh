# tests/lib/tap.sh: where a shell test failed, for its TAP diagnostics.
#
# Sourced by the bash test suites. Bash only.
#
#   tap_at
#       Prints "# at FILE:LINE" on stdout: the line of the test script that
#       called the suite's TAP helper (ok, not_ok, check, or any function
#       whose name starts with tap_ or check_), so a "not ok" line in the
#       ./dev test output says which assertion failed and where. FILE is
#       relative to top_srcdir when it lies under it.
#
#   ok STATUS NAME [DIAG...]
#       One TAP line for test number n+1: "ok N - NAME" when STATUS is 0,
#       else "not ok N - NAME", the tap_at line and each DIAG (at most
#       4000 bytes of each) as "# " comments; counts in the caller's n and
#       failed. Returns 0.

if [ -z "${BASH_VERSION:-}" ]; then
	echo "tests/lib/tap.sh: needs bash" >&2
	return 1 2>/dev/null || exit 1
fi

tap_at() {
	local i src line
	for ((i = 1; i < ${#FUNCNAME[@]}; i++)); do
		case ${FUNCNAME[$i]} in
		ok | not_ok | check | tap_* | check_*) continue ;;
		esac
		break
	done
	# BASH_LINENO[i-1] is the line in BASH_SOURCE[i] that made the call of
	# frame i-1 (the outermost helper).
	src=${BASH_SOURCE[$i]:-${BASH_SOURCE[$((i - 1))]}}
	line=${BASH_LINENO[$((i - 1))]}
	if [ -n "${top_srcdir:-}" ]; then
		src=${src#"$top_srcdir"/}
	fi
	echo "# at $src:$line"
}

ok() {
	local rc=$1 name=$2 d
	shift 2
	n=$((n + 1))
	if [ "$rc" = 0 ]; then
		echo "ok $n - $name"
	else
		echo "not ok $n - $name"
		tap_at
		failed=$((failed + 1))
		for d in "$@"; do
			printf '%s\n' "$d" | head -c 4000 | sed 's/^/# /'
		done
	fi
	return 0
}
