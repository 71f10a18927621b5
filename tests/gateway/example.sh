#!/bin/sh
# example.sh: TAP test of the plugin SDK as a plugin author meets it:
# installs gateway.h and portal-gateway.pc into a stage directory, checks
# the header is self-contained C99, builds gateways/example out of tree with
# `pkg-config --cflags portal-gateway`, checks the plugins export only the
# entry symbol, and runs the conformance suite against the example.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$(pwd)}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/portal-gw-example.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM
stage="$tmp/stage"
n=0
# Sub-makes must not inherit the test harness's jobserver.
unset MAKEFLAGS MFLAGS MAKELEVEL

t() { # t STATUS NAME: one TAP line
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		[ -s "$tmp/out" ] && sed 's/^/# /' "$tmp/out" | tail -n 30
	fi
	: >"$tmp/out"
}

make -C "$top_builddir" install-includeHEADERS install-pkgconfigDATA \
	DESTDIR="$stage" >"$tmp/out" 2>&1
t $? "make install of gateway.h and portal-gateway.pc into a stage"

pcdir=$(dirname "$(find "$stage" -name portal-gateway.pc | head -n 1)")
hdr=$(find "$stage" -name gateway.h | head -n 1)
PKG_CONFIG_PATH="$pcdir" PKG_CONFIG_SYSROOT_DIR="$stage" \
	pkg-config --cflags portal-gateway >"$tmp/cflags" 2>"$tmp/out"
rc=$?
[ $rc -eq 0 ] && [ -f "$(sed 's/^ *-I//; s/ *$//' "$tmp/cflags")/gateway.h" ]
t $? "pkg-config --cflags portal-gateway points at the staged header"

# Self-contained: only <stddef.h> and <stdint.h>, strict C99 and C++.
includes=$(grep '^#include' "$hdr" | tr -d ' ' | sort | tr '\n' ' ')
{ [ "$includes" = "#include<stddef.h> #include<stdint.h> " ] &&
	printf '#include "gateway.h"\nint main(void) { return PGW_ABI_MAJOR - 1; }\n' >"$tmp/h.c" &&
	${CC:-cc} -std=c99 -pedantic -Wall -Wextra -Werror -I"$(dirname "$hdr")" \
		-c -o "$tmp/h.o" "$tmp/h.c"; } >"$tmp/out" 2>&1
t $? "gateway.h includes only stddef.h and stdint.h and compiles alone as C99 -pedantic"

mkdir "$tmp/example" && cp "$top_srcdir/gateways/example/Makefile" \
	"$top_srcdir/gateways/example/example.c" "$tmp/example/" &&
	PKG_CONFIG_PATH="$pcdir" PKG_CONFIG_SYSROOT_DIR="$stage" \
		make -C "$tmp/example" >"$tmp/out" 2>&1
t $? "the example plugin builds out of tree with pkg-config"

exports() { nm -D --defined-only "$1" | awk '$2 == "T" { print $3 }' | tr '\n' ' '; }
[ "$(exports "$tmp/example/example.so")" = "portal_gateway_entry " ]
t $? "example.so exports only portal_gateway_entry"
[ "$(exports "$top_builddir/gateways/sandbox/.libs/sandbox.so")" = "portal_gateway_entry " ]
t $? "sandbox.so exports only portal_gateway_entry"

mkdir "$tmp/plugins" && cp "$tmp/example/example.so" "$tmp/plugins/" &&
	chmod 755 "$tmp/plugins" && chmod 644 "$tmp/plugins/example.so" &&
	"$top_builddir/tests/gateway/conformance" \
		--plugin "$tmp/plugins/example.so" \
		--config statement_descriptor=LAKESIDE \
		--token-cmd 'echo tok_example; :' \
		--skip declines,requires_action,host_faults,processor_faults,webhook \
		>"$tmp/conf" 2>&1
rc=$?
cp "$tmp/conf" "$tmp/out"
t $rc "the example plugin passes the conformance suite (its groups)"
grep -q '^not ok' "$tmp/conf"; [ $? -ne 0 ] && grep -q '^ok .* idempotent replay' "$tmp/conf"
t $? "... with idempotent replay among them"

echo "1..$n"
