#!/usr/bin/env bash
# tests/docs/access.sh: billing documents through the whole stack (nginx,
# portald, MariaDB, the sandbox processor; tests/lib/stack.sh), TAP out.
#
# Two clients (A: the demo client with `portalctl demo documents`; B: "Zoë
# Łukasiewicz", invited) and a third with many invoices (C: "José Ñúñez")
# sign in with curl and their own cookie jars. Every document route
# (/billing/documents, /billing/documents/N/pdf, /billing/documents/N/print,
# /billing/history, /billing/history.csv) is tried signed out (sign-in
# redirect), with another client's document numbers, with unshared ones
# and with made-up ones (404), and as the owner (200). PDFs are checked
# with pdftotext and pdfinfo: amounts, UTF-8 names, superbill codes, page
# counts of a long statement. A payment through the pay form makes a
# receipt the payer sees at once and the other client never.
#
# Registered in TESTS by app/docs/local.mk. DOCS_KEEP=1 keeps the stack dir.
# Grep patterns hold literal "$" (amounts); "A && B || bail" is meant.
# shellcheck disable=SC2016,SC2015
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

for t in curl pdftotext pdfinfo; do
	command -v "$t" >/dev/null 2>&1 || bail "$t is not installed (poppler-utils)"
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/portal-docs.XXXXXX") || bail "mktemp failed"
chmod 0755 "$tmp"
# shellcheck source=tests/lib/stack.sh
source "$top_srcdir/tests/lib/stack.sh" || bail "cannot source tests/lib/stack.sh"
# shellcheck source=tests/lib/tap.sh
source "$top_srcdir/tests/lib/tap.sh" || { echo "Bail out! cannot source tests/lib/tap.sh"; exit 1; }

cleanup() {
	stack_stop >/dev/null 2>&1
	if [ -n "${DOCS_KEEP:-}" ]; then
		echo "# kept $tmp"
	else
		rm -rf "$tmp"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

sql() {
	_mariadb_client "$PORTAL_DB_SOCKET" "${PORTAL_DB_NAME:-portal}" -N -e "$1" 2>&1
}
ctl() {
	stack_portalctl "$@" >>"$tmp/ctl.out" 2>&1 || {
		echo "# portalctl $* failed:"
		tail -n 5 "$tmp/ctl.out" | sed 's/^/# /'
		return 1
	}
}

# Cookie jars by hand (curl does not send __Host- cookies over plain http):
# jar_NAME holds "a=b; c=d" for client NAME.
declare -A jar
# take_cookies WHO HEADERS: keeps the cookies a response set.
take_cookies() {
	local who=$1 line name val j=${jar[$1]:-}
	while IFS= read -r line; do
		line=${line%$'\r'}
		case ${line,,} in
		set-cookie:*)
			line=${line#*: }
			line=${line%%;*}
			name=${line%%=*}
			val=${line#*=}
			j=$(printf '%s' "$j" | tr ';' '\n' | sed 's/^ //' | grep -v "^$name=" | paste -sd ';' -)
			j="${j:+$j; }$name=$val"
			;;
		esac
	done <"$2"
	jar[$who]=$(printf '%s' "$j" | sed 's/;\([^ ]\)/; \1/g')
}
# get WHO PATH OUT: GET as WHO ("none": no cookies); sets code, ctype, disp.
get() {
	local who=$1 c=${jar[$1]:-}
	[ "$who" = none ] && c=
	code=$(curl -s -D "$3.h" -o "$3" -w '%{http_code}' ${c:+-H "Cookie: $c"} "$STACK_URL$2")
	ctype=$(sed -n 's/^[Cc]ontent-[Tt]ype: *//p' "$3.h" | tr -d '\r')
	disp=$(sed -n 's/^[Cc]ontent-[Dd]isposition: *//p' "$3.h" | tr -d '\r')
	location=$(sed -n 's/^[Ll]ocation: *//p' "$3.h" | tr -d '\r')
	[ "$who" != none ] && take_cookies "$who" "$3.h"
	return 0
}
# post WHO PATH OUT ARGS...: POST a form as WHO; the status goes to pcode
# (not printed: a command substitution would lose the cookies).
post() {
	local who=$1 path=$2 out=$3 c=${jar[$1]:-}
	shift 3
	pcode=$(curl -s -D "$out.h" -o "$out" -w '%{http_code}' ${c:+-H "Cookie: $c"} "$@" "$STACK_URL$path")
	take_cookies "$who" "$out.h"
}
field() {
	sed -n "s/.*name=\"$1\" value=\"\([^\"]*\)\".*/\1/p" "$2" | head -n 1
}
# signin WHO EMAIL PASSWORD
signin() {
	get "$1" /login "$tmp/login.html"
	post "$1" /login "$tmp/login.out" --data-urlencode "csrf=$(field csrf "$tmp/login.html")" \
		--data-urlencode "email=$2" --data-urlencode "password=$3"
	[ "$pcode" = 303 ]
}
# accept_invite WHO LINK PASSWORD
accept_invite() {
	local path=${2#*://*/}
	get "$1" "/$path" "$tmp/invite.html"
	post "$1" "/$path" "$tmp/invite.out" --data-urlencode "csrf=$(field csrf "$tmp/invite.html")" \
		--data-urlencode "password=$3" --data-urlencode "password_confirm=$3"
	[ "$pcode" = 303 ]
}
pdftext() {
	pdftotext -layout "$1" - 2>/dev/null
}
pages() {
	pdfinfo "$1" 2>/dev/null | sed -n 's/^Pages: *//p'
}
token() {
	curl -s -X POST -H 'content-type: application/json' -d "{\"number\":\"$1\"}" \
		"$SIM_URL/__test/tokens" | sed -n 's/.*"id":"\(tok_[a-z0-9]*\)".*/\1/p'
}
# pay WHO INVOICE_ID: pays one invoice through the pay form with a new card.
pay() {
	get "$1" "/billing/pay?invoice=$2" "$tmp/pay.html"
	post "$1" /billing/pay "$tmp/paid.html" --data-urlencode "csrf=$(field csrf "$tmp/pay.html")" \
		--data-urlencode "form_key=$(field form_key "$tmp/pay.html")" \
		--data-urlencode "amount=$(field amount "$tmp/pay.html")" \
		--data-urlencode "target=invoice" --data-urlencode "invoice=$2" \
		--data-urlencode "card=new" --data-urlencode "token=$(token 4242424242424242)" \
		--data-urlencode "card_brand=visa" --data-urlencode "card_last4=4242"
	[ "$pcode" = 303 ] || [ "$pcode" = 200 ]
}
# day WHEN: that day in the demo practice's time zone (America/New_York).
day() { TZ=America/New_York date -d "$1" +%Y-%m-%d; }

plan=62
echo "1..$plan"

export STACK_WORKERS=1 STACK_THREADS=4
if ! stack_start "$tmp/stack" 2>"$tmp/stack-start.err"; then
	sed 's/^/# /' "$tmp/stack-start.err"
	bail "the stack did not start"
fi

# ---- data ----
pw_a='docs test password A1'
pw_b='docs test password B2'
pw_c='docs test password C3'
printf '%s\n' "$pw_a" >"$tmp/pw"
ctl demo seed --email a@example.org --password-file "$tmp/pw" --practice demo ||
	bail "demo seed failed"
ctl demo documents --email a@example.org --practice demo || bail "demo documents failed"
ctl demo documents --email a@example.org --practice demo || bail "demo documents (again) failed"
stack_portalctl document list --practice demo --email a@example.org >"$tmp/list-a.txt" 2>&1
[ "$(grep -c '^Statement' "$tmp/list-a.txt")" = 1 ] && [ "$(grep -c '^Superbill' "$tmp/list-a.txt")" = 1 ] &&
	[ "$(grep -c '^Invoice .* always$' "$tmp/list-a.txt")" = 3 ]
ok $? "portalctl demo documents gives the demo client its invoices (always visible), one statement and one superbill, also when run twice" \
	"$(cat "$tmp/list-a.txt")"

link_b=$(stack_portalctl client create --practice demo --email zoe@example.org \
	--first 'Zoë' --last 'Łukasiewicz' 2>&1 | grep -Eo 'https?://[^[:space:]]+/invite/[^[:space:]]+' | head -n 1)
link_c=$(stack_portalctl client create --practice demo --email jose@example.org \
	--first 'José' --last 'Ñúñez' 2>&1 | grep -Eo 'https?://[^[:space:]]+/invite/[^[:space:]]+' | head -n 1)
[ -n "$link_b" ] && [ -n "$link_c" ] || bail "client create printed no invitation link"
d1=$(day '20 days ago')
d2=$(day '6 days ago')
ctl invoice create --practice demo --email zoe@example.org --issued "$d1" \
	--line "$d1|Psychotherapy, 60 minutes (telehealth)|180.00" || bail "invoice B"
ctl invoice create --practice demo --email zoe@example.org --issued "$d2" \
	--line "$d2|Psychotherapy, 45 minutes|140.00" || bail "invoice B2"
inv_b1=$(sql "SELECT i.number FROM invoices i JOIN clients c ON c.id = i.client_id WHERE c.email = 'zoe@example.org' ORDER BY i.id LIMIT 1")
inv_b2=$(sql "SELECT i.number FROM invoices i JOIN clients c ON c.id = i.client_id WHERE c.email = 'zoe@example.org' ORDER BY i.id LIMIT 1 OFFSET 1")
ctl client profile --practice demo --email zoe@example.org --dob 1986-04-12 \
	--address1 '12 Rue Saint-Père' --city Montpelier --region VT --postal-code 05602 \
	--insurer 'Premera Blue Cross' --member-id PBC987654321 &&
	ctl service code --practice demo --invoice "$inv_b1" --line 1 --cpt 90837 --pos 02 \
		--modifier 95 --icd F43.23,F41.1 &&
	ctl service code --practice demo --invoice "$inv_b2" --line 1 --cpt 90834 --pos 11 --icd F43.23 &&
	ctl superbill create --practice demo --email zoe@example.org --dates "$d1,$d2" &&
	ctl statement create --practice demo --email zoe@example.org --from "$(day '60 days ago')" --to "$(day today)"
ok $? "portalctl codes B's invoice lines and makes B's superbill and statement" "$(tail -n 5 "$tmp/ctl.out")"
sb_b=$(sql "SELECT d.number FROM doc_documents d JOIN clients c ON c.id = d.client_id WHERE c.email = 'zoe@example.org' AND d.kind = 'superbill'")
st_b=$(sql "SELECT d.number FROM doc_documents d JOIN clients c ON c.id = d.client_id WHERE c.email = 'zoe@example.org' AND d.kind = 'statement'")
sb_a=$(sql "SELECT d.number FROM doc_documents d JOIN clients c ON c.id = d.client_id WHERE c.email = 'a@example.org' AND d.kind = 'superbill'")
st_a=$(sql "SELECT d.number FROM doc_documents d JOIN clients c ON c.id = d.client_id WHERE c.email = 'a@example.org' AND d.kind = 'statement'")
read -r inv_a1_id inv_a1 <<<"$(sql "SELECT i.id, i.number FROM invoices i JOIN clients c ON c.id = i.client_id WHERE c.email = 'a@example.org' ORDER BY i.id LIMIT 1")"
inv_a2=$(sql "SELECT i.number FROM invoices i JOIN clients c ON c.id = i.client_id WHERE c.email = 'a@example.org' ORDER BY i.id LIMIT 1 OFFSET 1")
inv_a2_date=$(sql "SELECT issued_on FROM invoices WHERE number = '$inv_a2'")
inv_b1_id=$(sql "SELECT id FROM invoices WHERE number = '$inv_b1'")
[ -n "$sb_b" ] && [ -n "$st_b" ] && [ -n "$sb_a" ] && [ -n "$st_a" ] && [ -n "$inv_a1" ] ||
	bail "documents missing: sb_b=$sb_b st_b=$st_b sb_a=$sb_a st_a=$st_a inv_a1=$inv_a1"

# A superbill refuses uncoded lines and clients without a date of birth.
stack_portalctl invoice create --practice demo --email jose@example.org --issued "$d1" \
	--line "$d1|Intake session|200.00" >/dev/null 2>&1
out=$(stack_portalctl superbill create --practice demo --email jose@example.org --dates "$d1" 2>&1)
rc=$?
[ $rc != 0 ] && printf '%s' "$out" | grep -q 'date of birth'
ok $? "superbill create refuses a client without a date of birth, saying what is missing" "$out"
stack_portalctl client profile --practice demo --email jose@example.org --dob 1979-11-02 >/dev/null 2>&1
out=$(stack_portalctl superbill create --practice demo --email jose@example.org --dates "$d1" 2>&1)
rc=$?
[ $rc != 0 ] && printf '%s' "$out" | grep -q 'no service code'
ok $? "superbill create refuses an uncoded line and names the portalctl service code command" "$out"
out=$(stack_portalctl service code --practice demo --invoice "$inv_b1" --line 1 --cpt 90837 --pos 11 --icd 'F41.1;DROP' 2>&1)
rc=$?
[ $rc != 0 ] && printf '%s' "$out" | grep -q 'ICD-10'
ok $? "service code refuses a malformed ICD-10 code" "$out"
out=$(stack_portalctl document unshare --practice demo --number RCT-000001 2>&1)
rc=$?
[ $rc != 0 ] && printf '%s' "$out" | grep -q 'always visible'
ok $? "receipts cannot be unshared" "$out"
out=$(stack_portalctl document unshare --practice demo --number "$inv_b1" 2>&1)
rc=$?
[ $rc != 0 ] && printf '%s' "$out" | grep -q 'always visible'
ok $? "invoices are not shared or unshared: always visible to their client" "$out"

# ---- signed out: every route sends to sign-in, never a document ----
routes="/billing/documents /billing/documents/$inv_a1/pdf /billing/documents/$inv_a1/print
/billing/documents/$st_a/pdf /billing/documents/$sb_a/print /billing/history /billing/history.csv"
bad=
for r in $routes; do
	get none "$r" "$tmp/out"
	if [ "$code" != 303 ] || [ "${location##*/}" != login ] || [ "$ctype" = application/pdf ]; then
		bad="$bad $r=$code:$location"
	fi
done
[ -z "$bad" ]
ok $? "signed out, every document route (list, pdf, print, history, csv) redirects to the sign-in page" "$bad"

# ---- sign in ----
signin A a@example.org "$pw_a"
ok $? "client A signs in"
accept_invite B "$link_b" "$pw_b" && signin B zoe@example.org "$pw_b"
ok $? "client B (Zoë Łukasiewicz) sets a password through the invitation and signs in"
accept_invite C "$link_c" "$pw_c" && signin C jose@example.org "$pw_c"
ok $? "client C (José Ñúñez) sets a password and signs in"

# ---- A pays an invoice: a receipt ----
pay A "$inv_a1_id"
rct_a=$(sql "SELECT r.number FROM receipts r JOIN clients c ON c.id = r.client_id WHERE c.email = 'a@example.org'")
[ -n "$rct_a" ]
ok $? "A pays $inv_a1 through the pay form and a receipt is made ($rct_a)" "$(grep -o '<h1>.*</h1>' "$tmp/paid.html")"
pay B "$inv_b1_id"
rct_b=$(sql "SELECT r.number FROM receipts r JOIN clients c ON c.id = r.client_id WHERE c.email = 'zoe@example.org'")
[ -n "$rct_b" ]
ok $? "B pays $inv_b1 and gets receipt $rct_b"

# ---- A's Billing Documents ----
get A /billing/documents "$tmp/list-a.html"
miss=
for d in "$inv_a1" "$inv_a2" "$st_a" "$sb_a" "$rct_a"; do
	grep -q "data-number=\"$d\"" "$tmp/list-a.html" || miss="$miss $d"
	grep -q "href=\"/billing/documents/$d/pdf\"" "$tmp/list-a.html" || miss="$miss $d/pdf"
	grep -q "href=\"/billing/documents/$d/print#print\"" "$tmp/list-a.html" || miss="$miss $d/print"
done
[ "$code" = 200 ] && [ -z "$miss" ]
ok $? "A's Billing Documents lists the shared invoices, the statement, the superbill and the receipt with Download and Print" \
	"status $code, missing:$miss"
grep -A6 "data-number=\"$inv_a1\"" "$tmp/list-a.html" | grep -q '>Paid<' &&
	grep -A6 "data-number=\"$inv_a2\"" "$tmp/list-a.html" | grep -q '>Unpaid<' &&
	grep -A6 "data-number=\"$rct_a\"" "$tmp/list-a.html" | grep -q '\$120.00'
ok $? "the list shows Paid/Unpaid and amounts (paid $inv_a1, unpaid $inv_a2, receipt \$120.00)"
leak=
for d in "$inv_b1" "$inv_b2" "$st_b" "$sb_b" "$rct_b"; do
	grep -q "$d" "$tmp/list-a.html" && leak="$leak $d"
done
[ -z "$leak" ]
ok $? "A's list shows none of B's documents" "$leak"

# ---- A's documents, as A ----
bad=
for d in "$inv_a1" "$st_a" "$sb_a" "$rct_a"; do
	get A "/billing/documents/$d/pdf" "$tmp/$d.pdf"
	case $disp in *attachment*"$d.pdf"*) ;; *) bad="$bad $d:disp=$disp" ;; esac
	[ "$code" = 200 ] && [ "$ctype" = application/pdf ] && [ "$(head -c 5 "$tmp/$d.pdf")" = %PDF- ] ||
		bad="$bad $d:$code:$ctype"
done
[ -z "$bad" ]
ok $? "Download: each of A's documents is application/pdf, attachment with a file name holding its number" "$bad"
bad=
for d in "$inv_a1" "$st_a" "$sb_a" "$rct_a"; do
	get A "/billing/documents/$d/print" "$tmp/$d.print.html"
	[ "$code" = 200 ] && grep -q "$d</h1>" "$tmp/$d.print.html" &&
		grep -q '<script src="/static/print.js?v=[0-9a-f]\{12\}"' "$tmp/$d.print.html" &&
		! grep -q '<script>' "$tmp/$d.print.html" || bad="$bad $d:$code"
done
[ -z "$bad" ]
ok $? "Print: each of A's documents has a print page that loads print.js (no inline script)" "$bad"
get A "/billing/documents/$st_a/print" "$tmp/csp.html"
grep -qi "^content-security-policy:.*script-src 'self'" "$tmp/csp.html.h"
ok $? "the print page keeps the strict CSP"

# ---- PDF content ----
t=$(pdftext "$tmp/$inv_a1.pdf")
printf '%s' "$t" | grep -q "$inv_a1" && printf '%s' "$t" | grep -q 'Alex Rivera' &&
	printf '%s' "$t" | grep -q 'Lakeside Counseling' && printf '%s' "$t" | grep -q '\$120.00' &&
	printf '%s' "$t" | grep -q 'PAID' && [ "$(pages "$tmp/$inv_a1.pdf")" = 1 ]
ok $? "invoice PDF: number, client, practice, \$120.00, marked PAID, 1 page" "$t"
t=$(pdftext "$tmp/$rct_a.pdf")
printf '%s' "$t" | grep -q "$rct_a" && printf '%s' "$t" | grep -q "$inv_a1" &&
	printf '%s' "$t" | grep -q '\$120.00' && printf '%s' "$t" | grep -q '4242'
ok $? "receipt PDF: its number, the invoice paid, \$120.00 and the card's last 4" "$t"
t=$(pdftext "$tmp/$st_a.pdf")
printf '%s' "$t" | grep -q "$st_a" && printf '%s' "$t" | grep -q 'Beginning balance' &&
	printf '%s' "$t" | grep -q "$rct_a" && printf '%s' "$t" | grep -Eq 'Ending balance +\$245\.00'
ok $? "statement PDF: invoices and the payment in the period, ending balance \$365.00 - \$120.00 = \$245.00" "$t"
t=$(pdftext "$tmp/$sb_a.pdf")
printf '%s' "$t" | grep -q '90834' && printf '%s' "$t" | grep -q '90832' && printf '%s' "$t" | grep -q 'F41.1' &&
	printf '%s' "$t" | grep -q '1234567893' && printf '%s' "$t" | grep -q 'Date of birth: 04/12/1988' &&
	printf '%s' "$t" | grep -q 'VTB123456789' && printf '%s' "$t" | grep -q '103TC0700X'
ok $? "superbill PDF: CPT and ICD-10 codes, provider NPI and taxonomy, client's date of birth and member ID" "$t"

# ---- B's documents: unshared statements and superbills are invisible to B;
# every invoice and receipt, and shared ones, appear ----
get B /billing/documents "$tmp/list-b.html"
! grep -q "$sb_b\|$st_b" "$tmp/list-b.html" && grep -q "data-number=\"$rct_b\"" "$tmp/list-b.html" &&
	grep -q "data-number=\"$inv_b1\"" "$tmp/list-b.html" && grep -q "data-number=\"$inv_b2\"" "$tmp/list-b.html"
ok $? "B's list shows B's receipt and both never-shared invoices but not B's unshared statement and superbill"
bad=
for k in pdf print; do
	get B "/billing/documents/$inv_b2/$k" "$tmp/out"
	[ "$code" = 200 ] || bad="$bad $inv_b2/$k:$code"
done
[ -z "$bad" ]
ok $? "B downloads and prints a never-shared invoice" "$bad"
bad=
for d in "$st_b" "$sb_b"; do
	for k in pdf print; do
		get B "/billing/documents/$d/$k" "$tmp/out"
		[ "$code" = 404 ] && [ "$ctype" != application/pdf ] || bad="$bad $d/$k:$code"
	done
done
[ -z "$bad" ]
ok $? "B gets 404 for each unshared statement and superbill of B (pdf and print)" "$bad"
get B "/billing/documents/$rct_b/pdf" "$tmp/rct-b.pdf"
[ "$code" = 200 ] && pdftext "$tmp/rct-b.pdf" | grep -q 'Zoë Łukasiewicz'
ok $? "B's receipt is visible to B without sharing, with B's UTF-8 name" "status $code"
ctl document share --practice demo --number "$sb_b" && ctl document share --practice demo --number "$st_b"
ok $? "portalctl document share shares B's superbill and statement"
get B /billing/documents "$tmp/list-b2.html"
grep -q "data-number=\"$sb_b\"" "$tmp/list-b2.html" && grep -q "data-number=\"$st_b\"" "$tmp/list-b2.html"
ok $? "after sharing, B's list shows them"
get B "/billing/documents/$sb_b/pdf" "$tmp/sb-b.pdf"
t=$(pdftext "$tmp/sb-b.pdf")
[ "$code" = 200 ] && printf '%s' "$t" | grep -q 'Zoë Łukasiewicz' && printf '%s' "$t" | grep -q '90837' &&
	printf '%s' "$t" | grep -q 'F43.23' && printf '%s' "$t" | grep -Eq '(^| )02 ' &&
	printf '%s' "$t" | grep -Eq '(^| )95 ' && printf '%s' "$t" | grep -q 'PBC987654321' &&
	printf '%s' "$t" | grep -q 'Premera Blue Cross' && printf '%s' "$t" | grep -q '\$180.00' &&
	printf '%s' "$t" | grep -q '\$140.00' && printf '%s' "$t" | grep -q 'Date of birth: 04/12/1986'
ok $? "B's superbill PDF: UTF-8 name, CPT 90837 with POS 02 and modifier 95, ICD F43.23, insurer, member ID, fees" "$t"
printf '%s' "$t" | grep -Eq 'Total paid +\$180\.00' && printf '%s' "$t" | grep -Eq 'Balance +\$140\.00'
ok $? "B's superbill totals: paid \$180.00 (the paid invoice), balance \$140.00" "$t"
get B "/billing/documents/$sb_b/print" "$tmp/sb-b.html"
[ "$code" = 200 ] && grep -q 'Zoë Łukasiewicz' "$tmp/sb-b.html" && grep -q '90837' "$tmp/sb-b.html" &&
	grep -q 'F43.23' "$tmp/sb-b.html"
ok $? "B's superbill print page has the same names and codes"
ctl document unshare --practice demo --number "$sb_b"
get B "/billing/documents/$sb_b/pdf" "$tmp/out"
c1=$code
get B "/billing/documents/$sb_b/print" "$tmp/out"
[ "$c1" = 404 ] && [ "$code" = 404 ]
ok $? "after unshare, B's superbill is 404 again (pdf $c1, print $code)"

# ---- cross-client: never another client's document ----
bad=
for d in "$inv_b1" "$st_b" "$rct_b" "$inv_b2"; do
	for k in pdf print; do
		get A "/billing/documents/$d/$k" "$tmp/out"
		[ "$code" = 404 ] && [ "$ctype" != application/pdf ] || bad="$bad A:$d/$k:$code"
	done
done
for d in "$inv_a1" "$inv_a2" "$st_a" "$sb_a" "$rct_a"; do
	for k in pdf print; do
		get B "/billing/documents/$d/$k" "$tmp/out"
		[ "$code" = 404 ] && [ "$ctype" != application/pdf ] || bad="$bad B:$d/$k:$code"
	done
done
[ -z "$bad" ]
ok $? "A gets 404 for each of B's documents (shared with B or not) and B for each of A's, pdf and print" "$bad"
bad=
for d in INV-999999 ST-999999 SB-999999 RCT-999999 'INV-0000x1' '..' 'inv-000001' 'INV-00000000000000000001'; do
	get A "/billing/documents/$d/pdf" "$tmp/out"
	[ "$code" = 404 ] || bad="$bad $d:$code"
done
[ -z "$bad" ]
ok $? "made-up, malformed and wrong-case document numbers get 404" "$bad"
get A "/billing/documents/$inv_a1" "$tmp/out"
c1=$code
get A "/billing/documents/$inv_a1/edit" "$tmp/out"
[ "$c1" = 404 ] && [ "$code" = 404 ]
ok $? "no other document routes exist (/N: $c1, /N/edit: $code)"
st=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "Cookie: ${jar[A]}" "$STACK_URL/billing/documents/$rct_a/pdf")
[ "$st" = 405 ]
ok $? "documents cannot be changed: POST to a document is 405" "status $st"
# HEAD changes nothing: no PDF is rendered for it and no audit row is
# written, for the download or the print page; GET still audits.
audits() { sql "SELECT COUNT(*) FROM audit_log WHERE action IN ('doc.download', 'doc.print')"; }
a0=$(audits)
hd=$(curl -s -I -H "Cookie: ${jar[A]}" "$STACK_URL/billing/documents/$inv_a1/pdf" | tr -d '\r')
hp=$(curl -s -o /dev/null -w '%{http_code} %{size_download}' -I -H "Cookie: ${jar[A]}" "$STACK_URL/billing/documents/$inv_a1/print")
a1=$(audits)
get A "/billing/documents/$inv_a1/pdf" "$tmp/head-get.pdf"
a2=$(audits)
printf '%s\n' "$hd" | grep -q '^HTTP/1.1 200' && printf '%s\n' "$hd" | grep -qi '^content-type: application/pdf' &&
    printf '%s\n' "$hd" | grep -qi '^content-disposition: attachment' && [ "$hp" = "200 0" ] &&
    [ "$a1" = "$a0" ] && [ "$code" = 200 ] && [ "$a2" = $((a0 + 1)) ]
ok $? "HEAD of a document's PDF and print page answers 200 with the GET's headers and writes no audit row (GET does)" \
    "audit rows: $a0 before, $a1 after HEAD, $a2 after GET" "$hd" "print: $hp"

# ---- Payment History ----
get A /billing/history "$tmp/hist.html"
[ "$code" = 200 ] && grep -q "value=\"$(day '1 year ago + 1 day')\"" "$tmp/hist.html" &&
	grep -q "value=\"$(day today)\"" "$tmp/hist.html" && grep -q '<label for="from">From</label>' "$tmp/hist.html" &&
	grep -q '<label for="to">To</label>' "$tmp/hist.html"
ok $? "Payment History shows its default range (the last 12 months) in a labelled From/To form" "status $code"
grep -q "$inv_a1" "$tmp/hist.html" && grep -q "$inv_a2" "$tmp/hist.html" && grep -q "$rct_a" "$tmp/hist.html" &&
	grep -q 'id="total-invoiced">\$365.00' "$tmp/hist.html" && grep -q 'id="total-paid">\$120.00' "$tmp/hist.html"
ok $? "A's history lists the invoices and the payment with totals (invoiced \$365.00, paid \$120.00)"
first=$(grep -o 'data-label="Number">[^<]*' "$tmp/hist.html" | head -n 1)
[ "$first" = "data-label=\"Number\">$rct_a" ]
ok $? "newest first: the payment made today is the first row" "$first"
! grep -q "$inv_b1\|$rct_b" "$tmp/hist.html"
ok $? "A's history holds nothing of B's"
get A "/billing/history?from=$inv_a2_date&to=$inv_a2_date" "$tmp/hist2.html"
[ "$code" = 200 ] && grep -q "$inv_a2" "$tmp/hist2.html" && ! grep -q "$inv_a1\|$rct_a" "$tmp/hist2.html" &&
	grep -q 'id="total-invoiced">\$95.00' "$tmp/hist2.html"
ok $? "a one-day range shows only $inv_a2 (\$95.00)"
get A "/billing/history?from=$(day today)&to=$(day '10 days ago')" "$tmp/hist3.html"
[ "$code" = 200 ] && grep -q 'role="alert"' "$tmp/hist3.html" && grep -q 'is after the end date' "$tmp/hist3.html" &&
	grep -q '<label for="from">From</label>' "$tmp/hist3.html" && ! grep -q 'Download CSV' "$tmp/hist3.html"
ok $? "an inverted range gets a clear message on the page (200, the form kept), no table" \
	"status $code" "$(grep -o 'role="alert".*' "$tmp/hist3.html")"
bad=
for q in 'from=2025-02-30' 'from=yesterday' 'to=2025-13-01' "from=$(printf 'x%.0s' {1..40})" 'from=%00' 'to=2025-1-1'; do
	get A "/billing/history?$q" "$tmp/hist4.html"
	{ [ "$code" = 200 ] && grep -q 'role="alert"' "$tmp/hist4.html"; } ||
		{ [ "$code" = 400 ] && [ "$q" = 'from=%00' ]; } || bad="$bad $q:$code"
done
[ -z "$bad" ]
ok $? "malformed dates get a message on the page, not an error page" "$bad"
get A "/billing/history.csv?from=$(day '1 year ago')&to=$(day today)" "$tmp/hist.csv"
[ "$code" = 200 ] && case $ctype in text/csv*) true ;; *) false ;; esac &&
	case $disp in attachment*payment-history-*.csv*) true ;; *) false ;; esac &&
	head -n 1 "$tmp/hist.csv" | grep -q '^Date,Type,Number,Description,Amount' &&
	grep -q "^[0-9-]*,Invoice,$inv_a1,.*,120.00,0.00" "$tmp/hist.csv" &&
	grep -q "^[0-9-]*,Payment,$rct_a,.*,120.00," "$tmp/hist.csv" && ! grep -q "$inv_b1" "$tmp/hist.csv"
ok $? "Download CSV: text/csv attachment with a header, A's invoices and payment, nothing of B's" \
	"$code $ctype $disp" "$(cat "$tmp/hist.csv")"
get A "/billing/history.csv?from=$inv_a2_date&to=$inv_a2_date" "$tmp/hist2.csv"
[ "$(wc -l <"$tmp/hist2.csv")" = 2 ] && grep -q "$inv_a2" "$tmp/hist2.csv"
ok $? "the CSV follows the range (one invoice on that day)" "$(cat "$tmp/hist2.csv")"
get A "/billing/history.csv?from=2026-05-01&to=2026-04-01" "$tmp/hist5.csv"
[ "$code" = 200 ] && case $ctype in text/html*) true ;; *) false ;; esac && grep -q 'is after the end date' "$tmp/hist5.csv"
ok $? "an inverted range on the CSV link gets the page with the message, not a file" "$code $ctype"

# ---- a long statement: several pages, repeated headers, page numbers ----
c_first=$(day '300 days ago')
fails=0
for i in $(seq 1 40); do
	dd=$(day "$((300 - i * 7)) days ago")
	stack_portalctl invoice create --practice demo --email jose@example.org --issued "$dd" \
		--line "$dd|Séance de psychothérapie n° $i|1$((i % 9))5.00" >/dev/null 2>&1 || fails=$((fails + 1))
done
ctl statement create --practice demo --email jose@example.org --from "$c_first" --to "$(day today)" &&
	st_c=$(sql "SELECT d.number FROM doc_documents d JOIN clients c ON c.id = d.client_id WHERE c.email = 'jose@example.org' AND d.kind = 'statement'") &&
	ctl document share --practice demo --number "$st_c"
ok $? "C gets 40 invoices and a shared statement of 300 days ($fails invoice failures)"
get C "/billing/documents/$st_c/pdf" "$tmp/st-c.pdf"
np=$(pages "$tmp/st-c.pdf")
t=$(pdftext "$tmp/st-c.pdf")
[ "$code" = 200 ] && [ "${np:-0}" -ge 2 ] && printf '%s' "$t" | grep -q 'José Ñúñez' &&
	printf '%s' "$t" | grep -q "Page 2 of $np" && printf '%s' "$t" | grep -q 'Séance de psychothérapie n° 40'
ok $? "C's statement runs to $np pages with page numbers, UTF-8 name and descriptions" "status $code"
hdr=$(printf '%s' "$t" | grep -c 'Reference')
[ "$hdr" -ge "$np" ]
ok $? "the statement's table header repeats on every page ($hdr headers, $np pages)"
total=$(sql "SELECT CAST(SUM(l.amount) AS SIGNED) FROM invoice_lines l JOIN clients c ON c.id = l.client_id WHERE c.email = 'jose@example.org'")
want=$(printf '$%d.%02d' $((total / 100)) $((total % 100)) | sed -E ':a;s/([0-9])([0-9]{3})([.,])/\1,\2\3/;ta')
printf '%s' "$t" | grep -Eq "Ending balance +\\$want"
ok $? "C's statement ends at the sum of C's invoices ($want)" "$(printf '%s' "$t" | grep 'Ending balance')"

# ---- the practice's time zone (demo: America/New_York) ----
# C pays an invoice; its instant is moved to 02:30 UTC yesterday, which is
# 21:30 or 22:30 the day before in New York: every date shows that day.
c_inv=$(sql "SELECT i.id FROM invoices i JOIN clients c ON c.id = i.client_id WHERE c.email = 'jose@example.org' ORDER BY i.id LIMIT 1")
utc_day=$(date -u -d yesterday +%Y-%m-%d)
ny_day=$(date -u -d "$utc_day -1 day" +%Y-%m-%d)
at=$(date -u -d "$utc_day 02:30:00" +%s)
pay C "$c_inv" &&
	c_pay=$(sql "SELECT p.id FROM payments p JOIN clients c ON c.id = p.client_id WHERE c.email = 'jose@example.org' ORDER BY p.id DESC LIMIT 1") &&
	rct_c=$(sql "SELECT number FROM receipts WHERE payment_id = $c_pay") && [ -n "$rct_c" ] &&
	sql "UPDATE payments SET paid_at = $at WHERE id = $c_pay; UPDATE receipts SET issued_at = $at WHERE payment_id = $c_pay" &&
	[ "$(TZ=America/New_York date -d "@$at" +%Y-%m-%d)" = "$ny_day" ]
ok $? "C pays $rct_c, now dated $(date -u -d "@$at" '+%F %H:%M') UTC ($ny_day in New York)"
get C "/billing/history?from=$ny_day&to=$ny_day" "$tmp/tz-hist.html"
[ "$code" = 200 ] && grep -A3 "$rct_c" "$tmp/tz-hist.html" | grep -q "datetime=\"$ny_day\"" ||
	grep -B3 "$rct_c" "$tmp/tz-hist.html" | grep -q "datetime=\"$ny_day\""
ok $? "Payment History: a range of the New York day $ny_day holds the payment, dated $ny_day" "status $code"
get C "/billing/history?from=$utc_day&to=$utc_day" "$tmp/tz-hist2.html"
[ "$code" = 200 ] && ! grep -q "$rct_c" "$tmp/tz-hist2.html"
ok $? "Payment History: a range of the UTC day $utc_day does not hold it" "status $code"
get C "/billing/history.csv?from=$ny_day&to=$ny_day" "$tmp/tz.csv"
grep -q "^$ny_day,Payment,$rct_c," "$tmp/tz.csv"
ok $? "the CSV dates the payment $ny_day" "$(cat "$tmp/tz.csv")"
get C "/billing/documents/$rct_c/pdf" "$tmp/tz-rct.pdf"
t=$(pdftext "$tmp/tz-rct.pdf")
us=$(date -u -d "$ny_day" +%m/%d/%Y)
[ "$code" = 200 ] && printf '%s' "$t" | grep -q "$us" && ! printf '%s' "$t" | grep -q "$(date -u -d "$utc_day" +%m/%d/%Y)"
ok $? "the receipt PDF is dated $us (New York), never $(date -u -d "$utc_day" +%m/%d/%Y) (UTC)" "$t"

# ---- audit ----
[ "$(sql "SELECT COUNT(*) FROM audit_log WHERE action = 'doc.download'")" -gt 0 ] &&
	[ "$(sql "SELECT COUNT(*) FROM audit_log WHERE action = 'doc.print'")" -gt 0 ] &&
	[ "$(sql "SELECT COUNT(*) FROM audit_log WHERE action IN ('doc.share', 'doc.unshare')")" -gt 0 ]
ok $? "downloads, prints, shares and unshares are in the audit log"

# ---- signing out ends access ----
get A /billing/documents "$tmp/pre-out.html"
post A /logout "$tmp/logout.out" --data-urlencode "csrf=$(field csrf "$tmp/pre-out.html")"
get A "/billing/documents/$inv_a1/pdf" "$tmp/out"
[ "$code" = 303 ] && [ "$ctype" != application/pdf ]
ok $? "after signing out, A's old cookie gets the sign-in redirect for a document" "status $code"

# ---- the demo acceptance path ----
stack_portalctl document pdf --practice demo --email a@example.org --number "$sb_a" --out "$tmp/cli.pdf" >/dev/null 2>&1 &&
	pdftext "$tmp/cli.pdf" | grep -q '90834'
ok $? "portalctl document pdf renders the same superbill from the database"
[ "$(grep -c 'level=error' "$STACK_DIR/log/portald.log")" = 0 ]
ok $? "portald logged no errors" "$(grep 'level=error' "$STACK_DIR/log/portald.log" | head -n 5)"
! grep -q 'event=doc_\|render_failed' "$STACK_DIR/log/portald.log"
ok $? "no document render failures in the log"

if [ "$n" != "$plan" ]; then
	echo "# planned $plan tests, ran $n"
	exit 1
fi
[ "$failed" = 0 ]
