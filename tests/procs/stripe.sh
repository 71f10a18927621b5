#!/bin/sh
# stripe.sh: the Stripe plugin through the gateway conformance suite against
# tests/sim/stripe-sim.mjs (TAP; see conformance-run.sh).
exec sh "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/procs/conformance-run.sh" stripe
