#!/usr/bin/env bash
# example-portald.sh: the plugin SDK end to end, TAP out: gateway.h and
# portal-gateway.pc are installed into a stage, gateways/example is built out
# of tree against them with pkg-config, and the resulting example.so is
# loaded by a running portald: a practice's YAML switched to it and SIGHUP
# make it that practice's processor, without a restart.
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$(pwd)}"
export top_srcdir top_builddir
# shellcheck source=tests/lib/stack.sh
source "$top_srcdir/tests/lib/stack.sh" || { echo "Bail out! cannot source tests/lib/stack.sh"; exit 1; }
# shellcheck source=tests/lib/tap.sh
source "$top_srcdir/tests/lib/tap.sh" || { echo "Bail out! cannot source tests/lib/tap.sh"; exit 1; }
unset MAKEFLAGS MFLAGS MAKELEVEL

tmp=$(mktemp -d /tmp/portal-example-portald.XXXXXX)
trap 'stack_stop >/dev/null 2>&1; rm -rf "$tmp"' EXIT
n=0

echo "1..6"
make -C "$top_builddir" install-includeHEADERS install-pkgconfigDATA DESTDIR="$tmp/stage" >"$tmp/out" 2>&1
ok $? "make install DESTDIR=stage installs gateway.h and portal-gateway.pc" "$(tail -5 "$tmp/out")"
pcdir=$(dirname "$(find "$tmp/stage" -name portal-gateway.pc | head -n 1)")
mkdir -p "$tmp/example" && cp "$top_srcdir/gateways/example/example.c" "$top_srcdir/gateways/example/Makefile" "$tmp/example/"
PKG_CONFIG_PATH="$pcdir" PKG_CONFIG_SYSROOT_DIR="$tmp/stage" make -C "$tmp/example" >"$tmp/out" 2>&1
ok $? "the example plugin builds out of tree with pkg-config --cflags portal-gateway" "$(tail -5 "$tmp/out")"

if ! stack_start "$tmp/stack" >"$tmp/start.log" 2>&1; then
	echo "Bail out! the stack did not start"; sed 's/^/# /' "$tmp/start.log"; exit 1
fi
install -m 0755 "$tmp/example/example.so" "$STACK_DIR/plugins/example.so"
# The demo practice's gateway block becomes the example plugin's.
awk 'BEGIN { g = 0 }
	/^gateway:/ { print "gateway:"; print "  plugin: example"; print "  statement_descriptor: LAKESIDE"; g = 1; next }
	g && /^[ \t]/ { next }
	{ g = 0; print }' "$STACK_DIR/clinicians/demo.yaml" >"$tmp/demo.yaml" && cp "$tmp/demo.yaml" "$STACK_DIR/clinicians/demo.yaml"
grep -q 'plugin: example' "$STACK_DIR/clinicians/demo.yaml"
ok $? "the practice file now names the example plugin"
master=$STACK_PORTALD_PID
kill -HUP "$master"
for _ in $(seq 1 100); do
	grep -q 'event=gateway_started practice=demo plugin=example' "$STACK_DIR/log/portald.log" && break
	sleep 0.1
done
grep -q 'event=gateway_started practice=demo plugin=example' "$STACK_DIR/log/portald.log"
ok $? "after SIGHUP portald runs the out-of-tree plugin for the practice" "$(grep -E 'gateway|reload' "$STACK_DIR/log/portald.log" | tail -5)"
kill -0 "$master" 2>/dev/null
ok $? "the same portald master: reloaded, not restarted"
# Its webhook endpoint now answers for the example plugin (a bad delivery is
# the plugin's refusal, 400), and no longer for the sandbox (404).
a=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$STACK_URL/webhooks/demo/example" -d '{}')
b=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$STACK_URL/webhooks/demo/sandbox" -d '{}')
[ "$a" != 404 ] && [ "$a" != 000 ] && [ "$b" = 404 ]
ok $? "requests for the practice's processor now reach the example plugin" "example: $a, sandbox: $b"
