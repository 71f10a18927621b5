#!/bin/sh
# tokenizer.sh: runs the browser test of the sandbox tokenizer
# (check-tokenizer.mjs) in headless Chromium with playwright-core from
# $NODE_MODULES, in a private HOME.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
NODE_MODULES=${NODE_MODULES:-$top_srcdir/tests/e2e/node_modules}
bail() {
	echo "1..0"
	echo "Bail out! $*"
	exit 1
}
command -v node >/dev/null 2>&1 || bail "node is not installed"
[ -f "$NODE_MODULES/playwright-core/index.mjs" ] ||
	bail "playwright-core is not in $NODE_MODULES (npm ci in tests/e2e)"
[ -x "${CHROMIUM:-/usr/bin/chromium}" ] || bail "no Chromium at ${CHROMIUM:-/usr/bin/chromium}"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/portal-tokenizer.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM
HOME="$tmp" XDG_CONFIG_HOME="$tmp/.config" XDG_CACHE_HOME="$tmp/.cache" \
	TMPDIR="$tmp" NODE_MODULES="$NODE_MODULES" \
	timeout 300 node "$top_srcdir/tests/sim/check-tokenizer.mjs"
