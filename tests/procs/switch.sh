#!/bin/sh
# switch.sh: TAP: the acceptance test of switching a practice's processor
# with clients who have saved cards (switch.test.mjs: sandbox -> Stripe ->
# sandbox by YAML edit and SIGHUP, in headless Chromium), on the private
# stack and simulators of processors.sh. Needs what tests/e2e/run.sh needs.
exec bash "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/procs/processors.sh" switch.test.mjs
