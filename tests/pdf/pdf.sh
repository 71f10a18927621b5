#!/bin/sh
# pdf.sh: renders sample billing documents with tests/pdf/pdf_sample and
# checks the PDFs the way a reader would, with pdfinfo, pdffonts and
# pdftotext (Debian poppler-utils). Prints TAP.
# Functions run through check() look unreachable to shellcheck, and the
# single quotes hold literal dollar amounts and sh -c scripts on purpose:
# shellcheck disable=SC2317,SC2016
set -u

builddir=${top_builddir:-.}
sample=$builddir/tests/pdf/pdf_sample
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pdf-test.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

n=0
fails=0
ok() {
	n=$((n + 1))
	echo "ok $n - $1"
}
not_ok() {
	n=$((n + 1))
	fails=$((fails + 1))
	echo "not ok $n - $1"
	shift
	for line in "$@"; do
		echo "#   $line"
	done
}
# check NAME COMMAND...: one test from a command's exit status.
check() {
	name=$1
	shift
	if "$@" >"$tmp/out" 2>&1; then
		ok "$name"
	else
		not_ok "$name" "command: $*" "$(head -c 600 "$tmp/out")"
	fi
}
# has FILE TEXT...: every TEXT occurs in FILE as a fixed string.
has() {
	f=$1
	shift
	for t in "$@"; do
		if ! grep -qF -- "$t" "$f"; then
			echo "missing: $t"
			return 1
		fi
	done
}
# lacks FILE TEXT: TEXT does not occur in FILE.
lacks() {
	if grep -qF -- "$2" "$1"; then
		echo "unexpected: $2"
		return 1
	fi
}
pages() {
	pdfinfo "$1" | awk '/^Pages:/ { print $2 }'
}

echo "1..17"

for tool in pdfinfo pdftotext pdffonts; do
	if ! command -v $tool >/dev/null 2>&1; then
		echo "Bail out! $tool not found: install the Debian package poppler-utils"
		exit 1
	fi
done

# Invoices.
"$sample" invoice "$tmp/invoice.pdf" &&
	"$sample" invoice-paid "$tmp/paid.pdf" &&
	pdftotext "$tmp/invoice.pdf" "$tmp/invoice.txt" &&
	pdftotext "$tmp/paid.pdf" "$tmp/paid.txt"
check "invoice: one US Letter page titled Invoice INV-0042" sh -c '
	pdfinfo "$1" >"$1.info" && grep -q "^Pages: *1$" "$1.info" &&
	grep -q "^Page size: *612 x 792 pts (letter)" "$1.info" &&
	grep -q "^Title: *Invoice INV-0042$" "$1.info"' sh "$tmp/invoice.pdf"
check "invoice: practice header, amounts and balance due" has "$tmp/invoice.txt" \
	"Lakeside Counseling, PLLC" "1200 Harbor Way, Suite 300" \
	"(206) 555-0142" "billing@lakeside.example" "NPI: 1922334455" \
	"Tax ID: 91-1234567" "Invoice" "No. INV-0042" "Issued: 03/31/2025" \
	"Due: 04/30/2025" '$180.00' '$874.50' '$1,234.50' '$360.00' \
	"Balance due" "Page 1 of 1"
check "invoice: the client name José Ñúñez comes out exactly" \
	has "$tmp/invoice.txt" "José Ñúñez"
check "invoice: an unpaid invoice has no PAID mark" lacks "$tmp/invoice.txt" PAID
check "invoice: a settled invoice is marked PAID with \$0.00 due" \
	has "$tmp/paid.txt" PAID '$0.00'
check "invoice: DejaVu fonts embedded" sh -c '
	pdffonts "$1" >"$1.fonts" && grep -q DejaVuSans "$1.fonts" &&
	awk "NR > 2 && \$(NF-4) != \"yes\" { exit 1 }" "$1.fonts" ||
	{ cat "$1.fonts"; exit 1; }' sh "$tmp/invoice.pdf"

# A long statement: 120 items run to several pages.
"$sample" statement 120 "$tmp/st.pdf" && pdftotext "$tmp/st.pdf" "$tmp/st.txt"
np=$(pages "$tmp/st.pdf" 2>/dev/null)
check "statement of 120 items runs to at least 3 pages (got ${np:-none})" \
	test "${np:-0}" -ge 3
per_page() {
	i=1
	while [ "$i" -le "$np" ]; do
		pdftotext -layout -f "$i" -l "$i" "$tmp/st.pdf" "$tmp/p$i.txt" ||
			return 1
		has "$tmp/p$i.txt" "Page $i of $np" || { echo "page $i"; return 1; }
		grep -qE 'Date +Reference +Description +Charges +Payments +Balance' \
			"$tmp/p$i.txt" || { echo "no header row on page $i"; return 1; }
		i=$((i + 1))
	done
}
check "statement: \"Page N of $np\" and the table header on every page" per_page
all_items() {
	i=1
	while [ "$i" -le 60 ]; do
		inv=$(printf 'INV-%04d' "$i")
		rct=$(printf 'RCT-%04d' "$i")
		[ "$(grep -cx "$inv" "$tmp/st.txt")" = 1 ] || { echo "$inv"; return 1; }
		[ "$(grep -cx "$rct" "$tmp/st.txt")" = 1 ] || { echo "$rct"; return 1; }
		i=$((i + 1))
	done
}
check "statement: each of the 120 items appears exactly once" all_items
check "statement: period, balances and client" has "$tmp/st.txt" \
	"Statement" "No. ST-2025-0007" "Period: 01/01/2025 – 03/31/2025" \
	"Beginning balance" '$250.00' "Ending balance" "José Ñúñez" \
	"ACCOUNT SUMMARY"
check "statement: continuation pages name the practice and document" \
	has "$tmp/p2.txt" "Lakeside Counseling, PLLC" \
	"Statement ST-2025-0007 (continued)"
"$sample" statement 420 "$tmp/st10.pdf"
np10=$(pages "$tmp/st10.pdf" 2>/dev/null)
check "statement of 420 items: page count grows (${np10:-none} > $np)" \
	test "${np10:-0}" -gt "$np"

# Superbill.
"$sample" superbill 6 "$tmp/sb.pdf" && pdftotext -layout "$tmp/sb.pdf" "$tmp/sb.txt"
check "superbill: provider identifiers for the insurer" has "$tmp/sb.txt" \
	"Superbill" "No. SB-2025-0003" "Ana Ruiz, PsyD" \
	"Individual NPI: 1234567893" "Organization NPI: 1922334455" \
	"Tax ID (EIN): 91-1234567" "License: WA PY 60123456" \
	"Taxonomy: 103TC0700X" "1200 Harbor Way, Suite 300"
check "superbill: patient Zoë Łukasiewicz with date of birth and member ID" \
	has "$tmp/sb.txt" "Zoë Łukasiewicz" "Date of birth: 04/12/1986" \
	"Insurance: Premera Blue Cross" "Member ID: PBC123456789"
check "superbill: ICD-10 codes listed with pointers A, B, C" sh -c '
	grep -qE "^ *A +F41\.1 +Generalized anxiety disorder" "$1" &&
	grep -qE "^ *B +F33\.1 " "$1" && grep -qE "^ *C +Z63\.0 " "$1"' \
	sh "$tmp/sb.txt"
check "superbill: lines with date, POS, CPT, modifiers, pointers, units, fee, paid" sh -c '
	grep -qE "03/01/2025 +11 +90791 .* A,B +1 +\\\$225\.00 +\\\$225\.00" "$1" &&
	grep -qE "03/02/2025 +10 +90837 +95 .* A +1 +\\\$180\.00 +\\\$180\.00" "$1" &&
	grep -qE "03/03/2025 +02 +90847 +95 GT .* A,C,B +2 +\\\$340\.00 +\\\$0\.00" "$1" &&
	grep -qE "Total fees +\\\$1,490\.00" "$1" &&
	grep -qE "Total paid +\\\$810\.00" "$1" &&
	grep -qE "Balance +\\\$680\.00" "$1" && grep -q "Provider signature" "$1" &&
	grep -q "Place of service: 02 telehealth other than in the patient.s home; 10 telehealth in the patient.s home; 11 office" "$1"' \
	sh "$tmp/sb.txt"

# Receipt.
"$sample" receipt "$tmp/rc.pdf" && pdftotext -layout "$tmp/rc.pdf" "$tmp/rc.txt"
check "receipt: payment, card, invoices paid and amounts" sh -c '
	grep -q "Receipt" "$1" && grep -q "No. RCT-0107" "$1" &&
	grep -q "José Ñúñez" "$1" && grep -q "Amount: \$1,234.50" "$1" &&
	grep -q "Paid with: Visa ending in 4242" "$1" &&
	grep -q "Date paid: 03/31/2025" "$1" &&
	grep -qE "INV-0001 +03/01/2025 +\\\$900\.00" "$1" &&
	grep -qE "INV-0002 +03/15/2025 +\\\$334\.50" "$1" &&
	grep -qE "Amount paid +\\\$1,234\.50" "$1" && ! grep -q Credited "$1"' sh "$tmp/rc.txt"

[ "$n" -eq 17 ] || echo "# planned 17 tests, ran $n"
exit 0
