#!/bin/sh
# sdk.sh: TAP: the Stripe and Square plugins' webhook signature checks
# against the official SDKs from npm (sdk-signatures.mjs). The SDKs come from
# $PROCS_NODE_MODULES, default tests/procs/node_modules (npm ci in
# tests/procs), so `make distcheck` can point at the source tree's copy.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$(pwd)}
modules=${PROCS_NODE_MODULES:-$top_srcdir/tests/procs/node_modules}
# Until the build passes PROCS_NODE_MODULES (see gateways/stripe/README),
# a distcheck tree finds the source tree's copy beside the e2e modules that
# NODE_MODULES names.
if [ -z "${PROCS_NODE_MODULES:-}" ] && [ ! -d "$modules" ] && [ -n "${NODE_MODULES:-}" ] &&
	[ -d "$NODE_MODULES/../../procs/node_modules" ]; then
	modules=$NODE_MODULES/../../procs/node_modules
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/portal-procs-sdk.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM

bail() {
	echo "1..0 # SKIP not reached"
	echo "Bail out! $*"
	exit 1
}
command -v node >/dev/null 2>&1 || bail "node is not installed"
[ -d "$modules/stripe" ] && [ -d "$modules/square" ] ||
	bail "stripe and square are not installed in $modules (run: cd tests/procs && npm ci)"
[ -x "$top_builddir/tests/procs/pgw-webhook" ] || bail "tests/procs/pgw-webhook not built"
# The loader refuses group- or world-writable plugin files and directories.
chmod 700 "$tmp" && mkdir "$tmp/plugins" || bail "no temp dir"
for p in stripe square; do
	cp "$top_builddir/gateways/$p/.libs/$p.so" "$tmp/plugins/$p.so" &&
		chmod 644 "$tmp/plugins/$p.so" || bail "gateways/$p not built"
done
PGW_WEBHOOK="$top_builddir/tests/procs/pgw-webhook" \
STRIPE_PLUGIN="$tmp/plugins/stripe.so" SQUARE_PLUGIN="$tmp/plugins/square.so" \
PROCS_NODE_MODULES="$modules" top_srcdir="$top_srcdir" \
	node "$top_srcdir/tests/procs/sdk-signatures.mjs"
