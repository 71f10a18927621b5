#!/bin/sh
# sims.sh: TAP self-tests of the Stripe and Square simulators
# (check-sims.mjs): strict parameters, auth and idempotency headers, error
# shapes, idempotency, test values, faults, signed delivery.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
export top_srcdir
command -v node >/dev/null 2>&1 || { echo "1..0 # SKIP not reached"; echo "Bail out! node is not installed"; exit 1; }
exec node "$top_srcdir/tests/procs/check-sims.mjs"
