#!/bin/sh
# sim.sh: runs the sandbox simulator's own TAP tests (check-sim.mjs).
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
if ! command -v node >/dev/null 2>&1; then
	echo "1..0"
	echo "Bail out! node is not installed"
	exit 1
fi
exec node "$top_srcdir/tests/sim/check-sim.mjs"
