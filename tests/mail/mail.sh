#!/usr/bin/env bash
# tests/mail/mail.sh: outgoing mail end to end, through a real SMTP server on
# loopback that this project did not write (Debian's python3-aiosmtpd, run by
# tests/lib/smtp-sink.sh; every accepted message is a file), the whole
# stack (tests/lib/stack.sh: MariaDB, portald, nginx, the sandbox simulator)
# and `portalctl mail send` as the sender. TAP out.
#
#   - an invitation arrives and its link opens the set-password page;
#   - the evening summary of an AutoPay night names the three clients due,
#     and after the night (a success, a decline, a card that needs
#     authentication) each client has the right message;
#   - with the SMTP server down, AutoPay payments still succeed and their
#     mail stays queued (portalctl mail status says so); started again,
#     each message arrives exactly once; a third declined night turns
#     AutoPay off and tells the client and the clinician;
#   - SIGKILL of the sender while the server holds a message in DATA loses
#     nothing and duplicates nothing (Message-IDs counted at the sink);
#   - the SMTP AUTH password comes from password_file, over STARTTLS;
#   - no received message holds a card number, a service code or a secret.
#
# Registered in TESTS by app/mail/local.mk. MAIL_KEEP=1 keeps the stack dir.
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${top_srcdir:=$(cd "$here/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
export top_srcdir top_builddir

n=0
failed=0
bail() {
	echo "Bail out! $*"
	exit 1
}

for t in curl node openssl; do
	command -v "$t" >/dev/null 2>&1 || bail "$t is not installed"
done
/usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null ||
	bail "python3-aiosmtpd is not installed (./dev installs it)"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/portal-mail.XXXXXX") || bail "mktemp failed"
chmod 0755 "$tmp"
# shellcheck source=tests/lib/tap.sh
source "$top_srcdir/tests/lib/tap.sh" || bail "cannot source tests/lib/tap.sh"
# shellcheck source=tests/lib/stack.sh
source "$top_srcdir/tests/lib/stack.sh" || bail "cannot source tests/lib/stack.sh"
# shellcheck source=tests/lib/smtp-sink.sh
source "$top_srcdir/tests/lib/smtp-sink.sh" || bail "cannot source tests/lib/smtp-sink.sh"

bg_pids=
cleanup() {
	local p
	for p in $bg_pids; do
		kill -9 "$p" 2>/dev/null
	done
	sink_stop
	stack_stop >/dev/null 2>&1
	if [ -n "${MAIL_KEEP:-}" ]; then
		echo "# kept $tmp"
	else
		rm -rf "$tmp"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

pc() { stack_portalctl "$@"; }
sql() { mariadb_sql "$1" | tail -n +2; }

# The messages accepted for address $1 (files), oldest first.
to() {
	grep -l -i -x "X-Sink-Rcpt: $1"$'\r' "$SINK_DIR"/*.eml 2>/dev/null
}
subject() { grep -m1 '^Subject: ' "$1" | tr -d '\r' | sed 's/^Subject: //'; }
# All Message-IDs received, one a line.
mids() { cat "$SINK_DIR"/*.eml 2>/dev/null | grep -i '^Message-ID: ' | tr -d '\r' | sed 's/^[^:]*: //'; }

SINK_PORT=$(stack_free_port) || bail "no free port"
sink_start "$tmp/sink" || bail "the SMTP sink did not start"
STACK_YAML_EXTRA=$(sink_yaml)
export STACK_YAML_EXTRA
if ! stack_start "$tmp/stack" 2>"$tmp/stack-start.err"; then
	sed 's/^/# /' "$tmp/stack-start.err"
	bail "the stack did not start"
fi
pid=$(sql "SELECT id FROM practices WHERE slug = 'demo'")
[ -n "$pid" ] || bail "no demo practice row"
clinician=billing@lakeside-counseling.example

# ---- invitation ----
pc client create --practice demo --email Invitee@Example.com --first Ivy --last Vee >"$tmp/out" 2>&1
pc mail send >"$tmp/send" 2>&1
src=$?
f=$(to invitee@example.com)
link=$(grep -m1 -o 'http://[^ ]*/invite/[A-Za-z0-9_-]*' "$f" 2>/dev/null | head -1)
curl -s -o "$tmp/page" "$link" 2>/dev/null
if [ "$src" = 0 ] && [ "$(printf '%s\n' "$f" | grep -c .)" = 1 ] &&
    grep -q "^Subject: Your client portal invitation from Lakeside Counseling" "$f" &&
    grep -q 'Content-Type: text/plain' "$f" && grep -q 'Content-Type: text/html' "$f" &&
    case $link in "$STACK_URL"/invite/*) true ;; *) false ;; esac &&
    grep -q 'invitee@example.com' "$tmp/page" && grep -q 'Set password' "$tmp/page" &&
    [ "$(sql "SELECT COUNT(*) FROM mail_outbox WHERE status = 'sent' AND secret_box IS NULL")" = 1 ]; then
	ok 0 "the invitation arrives (text and HTML, naming the practice); its link under base_url opens the set-password page; the sent row keeps no token"
else
	ok 1 "the invitation arrives and its link works" "send rc=$src link=$link" "$(cat "$tmp/out" "$tmp/send")"
fi

# ---- a new invoice, and a statement shared ----
pc invoice create --practice demo --email invitee@example.com --issued 2026-02-02 \
	--line '2026-02-02|Individual therapy session|90.00' >"$tmp/out" 2>&1
pc statement create --practice demo --email invitee@example.com --from 2026-02-01 \
	--to 2026-02-28 >"$tmp/st" 2>&1
stn=$(grep -o 'ST-[0-9]*' "$tmp/st" | head -1)
pc document share --practice demo --number "$stn" >>"$tmp/out" 2>&1
pc document unshare --practice demo --number "$stn" >>"$tmp/out" 2>&1
pc document share --practice demo --number "$stn" >>"$tmp/out" 2>&1
pc mail send >"$tmp/send" 2>&1
fi_=$(to invitee@example.com | xargs grep -l '^Subject: New invoice from Lakeside Counseling')
fs_=$(to invitee@example.com | xargs grep -l '^Subject: New statement from Lakeside Counseling')
if [ -n "$stn" ] && [ "$(printf '%s\n' "$fi_" | grep -c .)" = 1 ] &&
    grep -q 'shared a new invoice INV-' "$fi_" &&
    [ "$(printf '%s\n' "$fs_" | grep -c .)" = 1 ] && grep -q "shared a new statement $stn" "$fs_" &&
    grep -q "$STACK_URL/billing/documents" "$fs_"; then
	ok 0 "a new invoice and a statement shared (twice) each bring the client one message with the Billing Documents link"
else
	ok 1 "new invoice / statement shared" "stn=$stn" "$(cat "$tmp/st" "$tmp/out" "$tmp/send")"
fi

# ---- an AutoPay night: summary, success, decline, authentication ----
seed() {
	node "$top_srcdir/tests/autopay/seed.mjs" --sim "$SIM_URL" \
		--secret-file "$STACK_DIR/sandbox-secret.key" --practice-id "$pid" "$@" \
		>"$tmp/seed.sql" 2>"$tmp/seed.err" && mariadb_sql <"$tmp/seed.sql" 2>>"$tmp/seed.err"
}
seed --first-id 9001 --count 1 --card 4242424242424242 --email-prefix ok &&
	seed --first-id 9002 --count 1 --card 4000000000000341 --email-prefix no &&
	seed --first-id 9003 --count 1 --card 4000002760003184 --email-prefix auth ||
	bail "seed: $(cat "$tmp/seed.err")"
pc mail notices --practice demo --night 2026-03-10 >"$tmp/notices" 2>&1
pc mail notices --practice demo --night 2026-03-10 >"$tmp/notices2" 2>&1
pc mail send >"$tmp/send" 2>&1
f=$(to "$clinician")
if grep -q 'AutoPay summary of the night of 2026-03-10 (3 charges, \$360.00) queued' "$tmp/notices" &&
    grep -q 'was queued before' "$tmp/notices2" &&
    [ "$(printf '%s\n' "$f" | grep -c .)" = 1 ] &&
    grep -q '^Subject: Lakeside Counseling: AutoPay on the night of 2026-03-10: 3 charges, \$360.00' "$f" &&
    [ "$(grep -c -E '^  Auto Pay900[123] +\$120\.00' "$f")" = 3 ]; then
	ok 0 "the clinician's evening summary lists the night's 3 charges and their total, once"
else
	ok 1 "the clinician's evening summary" "$(cat "$tmp/notices" "$tmp/notices2" "$tmp/send" $f 2>/dev/null)"
fi
pc autopay run --practice demo --date 2026-03-10 >"$tmp/run" 2>&1
pc mail send >"$tmp/send" 2>&1
fo=$(to ok9001@example.org) fn=$(to no9002@example.org) fa=$(to auth9003@example.org)
if [ "$(printf '%s\n' "$fo" | grep -c .)" = 1 ] && grep -q '^Subject: AutoPay receipt RCT-' "$fo" &&
    grep -q 'received your AutoPay payment of \$120.00' "$fo" &&
    [ "$(printf '%s\n' "$fn" | grep -c .)" = 1 ] &&
    grep -q '^Subject: Your AutoPay payment to Lakeside Counseling did not go through' "$fn" &&
    grep -q "$STACK_URL/billing/payment-methods" "$fn" &&
    [ "$(printf '%s\n' "$fa" | grep -c .)" = 1 ] &&
    grep -q '^Subject: Your bank needs you to confirm a payment to Lakeside Counseling' "$fa" &&
    grep -q "href=\"$STACK_URL/billing\"" "$fa"; then
	ok 0 "after the night: the paid client has an AutoPay receipt, the declined one a decline notice, the 3-D Secure one a link to come back and confirm"
else
	ok 1 "the night's messages" "$(cat "$tmp/run" "$tmp/send")" "ok: $fo" "no: $fn" "auth: $fa"
fi

# ---- SMTP down, then back ----
sink_stop
before=$(sink_count)
seed --first-id 9004 --count 1 --card 4242424242424242 --email-prefix down ||
	bail "seed: $(cat "$tmp/seed.err")"
# A coded line (CPT and ICD-10, for superbills): its receipt must not say so.
pc service code --practice demo --invoice AP-9004 --line 1 --cpt 90837 --pos 11 \
	--icd F41.1 >"$tmp/code" 2>&1 || bail "service code: $(cat "$tmp/code")"
pc autopay run --practice demo --date 2026-03-11 >"$tmp/run" 2>&1
runrc=$?
pc mail send >"$tmp/send" 2>&1
src=$?
pc mail status >"$tmp/status" 2>&1
queued=$(sql "SELECT COUNT(*) FROM mail_outbox WHERE status = 'queued' AND attempts = 1")
paid=$(sql "SELECT COUNT(*) FROM payments p JOIN clients c ON c.id = p.client_id WHERE c.email = 'down9004@example.org'")
if [ "$runrc" = 0 ] && [ "$paid" = 1 ] && [ "$src" = 3 ] && [ "$queued" -ge 2 ] &&
    grep -q "^queued $queued, " "$tmp/status" &&
    grep -q 'autopay_paid .*down9004@example.org .*SMTP: ' "$tmp/status"; then
	ok 0 "with the SMTP server down the AutoPay payment succeeds and its mail stays queued ($queued messages, the failure shown by mail status)"
else
	ok 1 "SMTP down: payment succeeds, mail queued" "run rc=$runrc paid=$paid send rc=$src queued=$queued" "$(cat "$tmp/run" "$tmp/send" "$tmp/status")"
fi
sink_start "$tmp/sink" || bail "the SMTP sink did not start again"
pc mail retry >/dev/null 2>&1
pc mail send >"$tmp/send" 2>&1
src=$?
pc mail send >"$tmp/send2" 2>&1
got=$(($(sink_count) - before))
if [ "$src" = 0 ] && [ "$got" = "$queued" ] && grep -q '^mail: 0 sent' "$tmp/send2" &&
    [ "$(to down9004@example.org | grep -c .)" = 1 ] &&
    [ "$(sql "SELECT COUNT(*) FROM mail_outbox WHERE status <> 'sent'")" = 0 ]; then
	ok 0 "started again, each queued message arrives exactly once ($got of $queued)"
else
	ok 1 "SMTP back: each message once" "send rc=$src got=$got queued=$queued" "$(cat "$tmp/send" "$tmp/send2")"
fi

# ---- three declined nights turn AutoPay off: the client and the clinician ----
pc autopay run --practice demo --date 2026-03-12 >"$tmp/run" 2>&1
pc mail send >"$tmp/send" 2>&1
off_c=$(grep -l '^Subject: AutoPay is turned off for your Lakeside Counseling account' $(to no9002@example.org) 2>/dev/null | grep -c .)
off_s=$(grep -l '^Subject: Lakeside Counseling: AutoPay turned off for Auto Pay9002' $(to "$clinician") 2>/dev/null | grep -c .)
if [ "$off_c" = 1 ] && [ "$off_s" = 1 ]; then
	ok 0 "AutoPay turned off after 3 declined nights: the client and the clinician are told, once each"
else
	ok 1 "AutoPay turned off: client and clinician told" "client=$off_c clinician=$off_s" "$(cat "$tmp/run" "$tmp/send")"
fi

# ---- cards expiring ----
pc mail notices --practice demo --night 2026-03-13 --month 2034-12 >"$tmp/notices" 2>&1
pc mail notices --practice demo --night 2026-03-13 --month 2034-12 >"$tmp/notices2" 2>&1
pc mail send >"$tmp/send" 2>&1
f=$(to ok9001@example.org | xargs grep -l '^Subject: Your card on file with Lakeside Counseling expires soon')
if grep -q '4 reminders of cards expiring 12/2034 queued' "$tmp/notices" &&
    grep -q '0 reminders of cards expiring 12/2034 queued' "$tmp/notices2" &&
    [ "$(printf '%s\n' "$f" | grep -c .)" = 1 ] &&
    grep -q 'Your Visa card ending in 4242, on file with Lakeside Counseling, expires at the end of 12/2034' "$f"; then
	ok 0 "a reminder of each card that expires next month (--month), once each"
else
	ok 1 "card expiring reminders" "$(cat "$tmp/notices" "$tmp/notices2" "$tmp/send")"
fi

# ---- SIGKILL of the sender mid-batch ----
for i in 1 2 3 4 5; do
	pc client create --practice demo --email "kill$i@example.com" --first Kay --last "K$i" >/dev/null 2>&1
done
sink_stop
held_at=$(($(sink_count) + 2))
sink_start "$tmp/sink" --hold-after "$held_at" || bail "the SMTP sink did not start"
pc mail send >"$tmp/ksend" 2>&1 &
sender=$!
bg_pids="$bg_pids $sender"
for i in $(seq 1 300); do
	[ -s "$SINK_DIR/holding" ] && break
	sleep 0.1
done
kill -9 "$sender" 2>/dev/null
wait "$sender" 2>/dev/null
held=$(tr -d '\r\n' <"$SINK_DIR/holding" 2>/dev/null)
sending=$(sql "SELECT COUNT(*) FROM mail_outbox WHERE status = 'sending'")
sink_stop
sink_start "$tmp/sink" || bail "the SMTP sink did not start"
sleep 1.2 # claim_timeout is 1s in sink_yaml: the dead sender's claim lapses
pc mail send >"$tmp/ksend2" 2>&1
kills=$(for i in 1 2 3 4 5; do to "kill$i@example.com"; done | grep -c .)
dups=$(mids | sort | uniq -d | grep -c .)
if [ -n "$held" ] && [ "$sending" = 1 ] && [ "$kills" = 5 ] && [ "$dups" = 0 ] &&
    [ "$(mids | grep -c -F "$held")" = 1 ] &&
    [ "$(mids | grep -c .)" = "$(sink_count)" ] &&
    [ "$(sql "SELECT COUNT(*) FROM mail_outbox WHERE status <> 'sent'")" = 0 ]; then
	ok 0 "SIGKILL of the sender mid-batch (message $held in DATA): all 5 invitations arrive, the held one once, no Message-ID twice among $(sink_count) messages"
else
	ok 1 "SIGKILL mid-batch loses and duplicates nothing" "held=$held sending=$sending kills=$kills dups=$dups" "$(cat "$tmp/ksend" "$tmp/ksend2")" "$(mids | sort | uniq -c | sort -rn | head -3)"
fi

# ---- STARTTLS and AUTH with the password from a file ----
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/tls.key" -out "$tmp/tls.crt" \
	-days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1 ||
	bail "openssl could not make a test certificate"
(umask 077 && printf 'sink pass 42\n' >"$STACK_DIR/smtp-password")
sink_stop
sink_start "$tmp/sink" --tls-cert "$tmp/tls.crt" --tls-key "$tmp/tls.key" --auth "portal:sink pass 42" ||
	bail "the SMTP sink did not start with TLS"
sed -i '/^mail:/,$d' "$PORTAL_CONFIG"
sink_yaml "starttls: required" "ca_file: $tmp/tls.crt" "username: portal" \
	"password_file: $STACK_DIR/smtp-password" >>"$PORTAL_CONFIG"
pc client create --practice demo --email tls@example.com --first Tee --last Ls >/dev/null 2>&1
pc mail send >"$tmp/send" 2>&1
src=$?
if [ "$src" = 0 ] && [ "$(to tls@example.com | grep -c .)" = 1 ]; then
	ok 0 "over STARTTLS (required) with AUTH, the password read from password_file"
else
	ok 1 "STARTTLS and AUTH" "rc=$src" "$(cat "$tmp/send" "$tmp/sink.log" 2>/dev/null | tail -20)"
fi
printf 'wrong\n' >"$STACK_DIR/smtp-password"
sed -i '/^mail:/,$d' "$PORTAL_CONFIG"
sink_yaml "starttls: required" "ca_file: $tmp/tls.crt" "username: portal" \
	"password_file: $STACK_DIR/smtp-password" "timeout: 1s" >>"$PORTAL_CONFIG"
pc client create --practice demo --email tls2@example.com --first Tee --last Two >/dev/null 2>&1
pc mail send >"$tmp/send" 2>&1
src=$?
if [ "$src" = 3 ] && [ "$(to tls2@example.com | grep -c .)" = 0 ] &&
    ! grep -q -e 'wrong' -e 'sink pass' "$tmp/send" &&
    grep -q '^mail: 0 sent, 1 to retry, 0 failed' "$tmp/send" &&
    [ "$(sql "SELECT COUNT(*) FROM mail_outbox WHERE status = 'queued' AND attempts = 1 AND to_addr = 'tls2@example.com'")" = 1 ]; then
	ok 0 "a refused login leaves the message queued for a later run (tried once in this one); the error names no password"
else
	ok 1 "refused AUTH" "rc=$src" "$(cat "$tmp/send")"
fi

# ---- no leaks in anything received ----
total=$(sink_count)
secret=$(tr -d '\n' <"$STACK_DIR/sandbox-secret.key")
# Card numbers: any run of 13 to 19 digits (with or without spaces or
# dashes); codes: the CPT and ICD-10 codes of the stack's database and any
# five-digit number that is not a port; secrets: the processor's keys, the
# SMTP password.
codes=$(sql "SELECT CONCAT(cpt, ',', icd) FROM doc_line_codes" | tr ',' '\n' | grep . | sed 's/^/-e /')
secret=$(tr -d '\n' <"$STACK_DIR/sandbox-secret.key")
whsec=$(tr -d '\n' <"$STACK_DIR/sandbox-webhook.key")
# shellcheck disable=SC2086
# The MIME boundary is random hex and may hold a long run of digits; it is
# not content, so it is taken out before looking for card numbers.
leaks=$(cat "$SINK_DIR"/*.eml | sed -E 's/=_portal_[0-9a-f]+/=_portal_BOUNDARY/g' | grep -n -E -e '[0-9]([ -]?[0-9]){12,18}' \
	-e '(^|[^0-9A-Za-z:.])[0-9]{5}([^0-9A-Za-z]|$)' -e '\b[A-TV-Z][0-9][0-9AB]\.[0-9A-TV-Z]{1,4}\b' \
	-e 'sk_test_' -e 'whsec_' -e "$secret" -e "$whsec" -e 'sink pass' -e 'wrong' \
	-e 'CPT' -e 'ICD' -e 'iagnos' $codes)
if [ "$total" -ge 15 ] && [ -n "$codes" ] && [ -z "$leaks" ]; then
	ok 0 "none of the $total received messages holds a card number, a CPT/ICD code or a secret"
else
	ok 1 "no leaks in the received mail" "total=$total codes=$codes" "$leaks"
fi

echo "1..$n"
echo "# $((n - failed)) passed, $failed failed"
[ "$failed" = 0 ]
