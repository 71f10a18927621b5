#!/usr/bin/env bash
# webhook.sh: the processor webhook route through nginx and portald, TAP out:
# a body the simulator signed is accepted (and a repeat is harmless), a
# changed body or a forged signature is rejected, an unknown practice or a
# processor the practice does not use is 404, and no cookie is ever set.
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
export top_srcdir top_builddir
# shellcheck source=tests/lib/stack.sh
source "$top_srcdir/tests/lib/stack.sh" || { echo "Bail out! cannot source tests/lib/stack.sh"; exit 1; }
# shellcheck source=tests/lib/tap.sh
source "$top_srcdir/tests/lib/tap.sh" || { echo "Bail out! cannot source tests/lib/tap.sh"; exit 1; }

tmp=$(mktemp -d /tmp/portal-webhook.XXXXXX)
trap 'stack_stop >/dev/null 2>&1; rm -rf "$tmp"' EXIT
n=0

echo "1..7"
stack_start "$tmp/stack" >"$tmp/start.log" 2>&1 || { echo "Bail out! the stack did not start"; cat "$tmp/start.log" | sed 's/^/# /'; exit 1; }
sk=$(cat "$STACK_DIR/sandbox-secret.key")
hook="$STACK_URL/webhooks/demo/sandbox"

# A real charge at the simulator, then the event it signs for it.
tok=$(curl -s -X POST "$SIM_URL/__test/tokens" -H 'content-type: application/json' \
	-d '{"number":"4242424242424242","exp_month":12,"exp_year":2030}' | sed -n 's/.*"id":"\(tok_[^"]*\)".*/\1/p')
ch=$(curl -s -X POST "$SIM_URL/v1/charges" -H "authorization: Bearer $sk" -H 'idempotency-key: webhook-test-1' \
	-H 'content-type: application/json' -d "{\"amount\":1200,\"currency\":\"usd\",\"token\":\"$tok\"}" |
	sed -n 's/^{"id":"\(ch_[^"]*\)".*/\1/p')
[ -n "$ch" ] || { echo "Bail out! the simulator made no charge (token '$tok')"; exit 1; }
curl -s -X POST "$SIM_URL/__test/webhook" -H 'content-type: application/json' -d "{\"charge\":\"$ch\"}" >"$tmp/ev.json"
node -e '
const ev = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
require("fs").writeFileSync(process.argv[2], ev.body);
require("fs").writeFileSync(process.argv[3], ev.headers["Sandbox-Signature"]);
' "$tmp/ev.json" "$tmp/body" "$tmp/sig" || { echo "Bail out! no signed event from the simulator"; exit 1; }

post() { # post URL BODYFILE SIGNATURE -> status code; headers in $tmp/h
	curl -s -o /dev/null -D "$tmp/h" -w '%{http_code}' -X POST "$1" \
		-H 'content-type: application/json' -H "Sandbox-Signature: $3" --data-binary "@$2"
}

code=$(post "$hook" "$tmp/body" "$(cat "$tmp/sig")")
ok "$([ "$code" = 200 ]; echo $?)" "a body the processor signed is accepted (200)" "got $code"
grep -qi '^set-cookie' "$tmp/h"
ok "$([ $? -ne 0 ]; echo $?)" "the webhook answer sets no cookie"
code=$(post "$hook" "$tmp/body" "$(cat "$tmp/sig")")
ok "$([ "$code" = 200 ]; echo $?)" "the same event delivered again is acknowledged (200)" "got $code"
sed 's/1200/1300/' "$tmp/body" >"$tmp/body2"
code=$(post "$hook" "$tmp/body2" "$(cat "$tmp/sig")")
ok "$([ "$code" = 400 ]; echo $?)" "a changed body is rejected (400)" "got $code"
code=$(post "$hook" "$tmp/body" "t=$(date +%s),v1=$(printf '%064d' 0)")
ok "$([ "$code" = 400 ]; echo $?)" "a forged signature is rejected (400)" "got $code"
code=$(post "$STACK_URL/webhooks/demo/stripe" "$tmp/body" "$(cat "$tmp/sig")")
ok "$([ "$code" = 404 ]; echo $?)" "a processor the practice does not use is 404" "got $code"
code=$(post "$STACK_URL/webhooks/nosuch/sandbox" "$tmp/body" "$(cat "$tmp/sig")")
ok "$([ "$code" = 404 ]; echo $?)" "an unknown practice is 404" "got $code"
