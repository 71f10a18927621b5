#!/bin/sh
# run.sh: builds every tests/fuzz/fuzz_*.c as a libFuzzer binary under
# ASan/UBSan and runs each for a bounded time, printing TAP:
#   ok N - fuzz NAME (RUNS runs)      or      not ok N - fuzz NAME (...)
# Environment:
#   top_srcdir, top_builddir  set by `make check` (defaults: this script's
#                             tree, and a temp dir)
#   FUZZ_SECONDS              run time per harness (default 10)
#   FUZZ_CC                   clang to use (default clang)
# Seed corpora come from tests/fuzz/corpus/NAME/ and are copied to a temp
# dir first: nothing is ever written into the source tree. A crashing input
# is kept under $top_builddir/tests/fuzz/crashes/ and shown in hex.

set -u

here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=${top_srcdir:-$(cd "$here/../.." && pwd)}
FUZZ_SECONDS=${FUZZ_SECONDS:-10}
FUZZ_CC=${FUZZ_CC:-clang}
fuzzdir=$top_srcdir/tests/fuzz

case $FUZZ_SECONDS in
'' | *[!0-9]*) FUZZ_SECONDS=10 ;;
esac

work=$(mktemp -d "${TMPDIR:-/tmp}/portal-fuzz.XXXXXX") || {
	echo "1..1"
	echo "not ok 1 - fuzz: cannot make a temp dir"
	exit 1
}
trap 'rm -rf "$work"' EXIT HUP INT TERM

count=0
for src in "$fuzzdir"/fuzz_*.c; do
	[ -f "$src" ] && count=$((count + 1))
done
if [ "$count" -eq 0 ]; then
	echo "1..1"
	echo "not ok 1 - fuzz: no tests/fuzz/fuzz_*.c found"
	exit 1
fi
echo "1..$count"

# Prefixes each line of a file with "# " (TAP diagnostics), last N lines.
diag() {
	tail -n "${2:-40}" "$1" | sed 's/^/# /'
}

flags="-g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined"
flags="$flags -fno-sanitize-recover=undefined -I$top_srcdir/app"
flags="$flags -I$top_srcdir/gateways -D_GNU_SOURCE"
libs=""
for pc in yaml-0.1 libcrypto; do
	if pkg-config --exists "$pc" 2>/dev/null; then
		flags="$flags $(pkg-config --cflags "$pc")"
		libs="$libs $(pkg-config --libs "$pc")"
	fi
done

# The library code is compiled once (fuzzer-no-link), then linked into
# each harness.
objs=""
libfail=""
for src in "$top_srcdir"/app/util/*.c "$top_srcdir"/app/http/*.c \
    "$top_srcdir"/app/conf/*.c; do
	[ -f "$src" ] || continue
	obj=$work/$(basename "$(dirname "$src")")_$(basename "$src" .c).o
	# shellcheck disable=SC2086
	if ! $FUZZ_CC $flags -fsanitize=fuzzer-no-link -c "$src" -o "$obj" \
	    >"$work/cc.log" 2>&1; then
		libfail="$src"
		break
	fi
	objs="$objs $obj"
done

n=0
status=0
for src in "$fuzzdir"/fuzz_*.c; do
	[ -f "$src" ] || continue
	n=$((n + 1))
	name=$(basename "$src" .c)
	name=${name#fuzz_}
	bin=$work/fuzz_$name
	log=$work/$name.log
	if [ -n "$libfail" ]; then
		echo "not ok $n - fuzz $name (cannot compile $libfail)"
		diag "$work/cc.log"
		status=1
		continue
	fi
	# shellcheck disable=SC2086
	if ! $FUZZ_CC $flags -fsanitize=fuzzer -o "$bin" "$src" $objs $libs \
	    -lpthread >"$log" 2>&1; then
		echo "not ok $n - fuzz $name (build failed)"
		diag "$log"
		status=1
		continue
	fi
	corpus=$work/corpus_$name
	mkdir -p "$corpus"
	if [ -d "$fuzzdir/corpus/$name" ]; then
		cp -R "$fuzzdir/corpus/$name/." "$corpus/" 2>/dev/null
		chmod -R u+w "$corpus"
	fi
	mkdir -p "$work/art_$name"
	# -timeout: one slow input is a failure; `timeout` bounds the whole.
	(cd "$work" && timeout -k 10 $((FUZZ_SECONDS + 120)) "$bin" \
	    -max_total_time="$FUZZ_SECONDS" -timeout=20 -rss_limit_mb=2048 \
	    -max_len=8192 -print_final_stats=1 \
	    -artifact_prefix="$work/art_$name/" "$corpus") >"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log" | tail -n 1)
	if [ $rc -eq 0 ] && [ -n "$runs" ]; then
		echo "ok $n - fuzz $name ($runs runs)"
		continue
	fi
	status=1
	echo "not ok $n - fuzz $name (exit $rc${runs:+, $runs runs})"
	diag "$log" 60
	for crash in "$work/art_$name"/*; do
		[ -f "$crash" ] || continue
		echo "# input $(basename "$crash") (hex):"
		od -A x -t x1z -v "$crash" | head -n 32 | sed 's/^/#   /'
		if [ -n "${top_builddir:-}" ] &&
		    mkdir -p "$top_builddir/tests/fuzz/crashes" 2>/dev/null; then
			cp "$crash" "$top_builddir/tests/fuzz/crashes/${name}-$(basename "$crash")"
			echo "# kept in $top_builddir/tests/fuzz/crashes/"
		fi
	done
done
exit $status
