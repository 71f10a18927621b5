#!/bin/sh
# square.sh: the Square plugin through the gateway conformance suite against
# tests/sim/square-sim.mjs (TAP; see conformance-run.sh).
exec sh "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/procs/conformance-run.sh" square
