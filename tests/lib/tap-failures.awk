# tests/lib/tap-failures.awk: the failed assertions of a TAP log, for ./dev test.
#
#   awk -f tests/lib/tap-failures.awk FILE.log...
#
# Prints each "not ok" line (at any nesting depth) with what says why and
# where it failed: the "# ..." diagnostic lines that follow it (shell suites,
# whose tests/lib/tap.sh adds "# at FILE:LINE"), and from a node:test YAML
# block its error text, expected/actual, and the first stack frame in a test
# file ("at FILE:LINE:COL"). "Bail out!" lines are printed too. Each block is
# cut at 40 lines. A Check suite's "FILE:LINE:F:..." lines (CK_VERBOSITY=
# normal) are printed as "at FILE:LINE:...". Prints nothing for a log
# without failures.

function flush_err() {
	if (err != "") {
		out("    error: " err)
		err = ""
	}
}
function out(s) {
	if (shown < 40)
		print s
	else if (shown == 40)
		print "    ..."
	shown++
}
function leave() {
	flush_err()
	inblock = 0
	yaml = 0
	inerr = 0
	instack = 0
}
FNR == 1 {
	leave()
	file = FILENAME
	header = 0
}
function head() {
	if (!header) {
		print "--- " file
		header = 1
	}
}
# A Check suite (CK_VERBOSITY=normal) names each failed assertion's
# FILE:LINE:F|E:SUITE:TEST:...: MESSAGE apart from its TAP line.
/^(# )?[^ :]+\.c:[0-9]+:[EF]:/ {
	leave()
	head()
	line = $0
	sub(/^# /, "", line)
	print "  at " line
	next
}
/^[ \t]*Bail out!/ {
	leave()
	head()
	print $0
	next
}
/^[ \t]*not ok / {
	leave()
	head()
	inblock = 1
	shown = 0
	framed = 0
	line = $0
	sub(/^[ \t]+/, "", line)
	print line
	next
}
!inblock { next }
# The automake TAP driver's own copy of each result line, in the log.
/^(PASS|FAIL|ERROR|XFAIL|XPASS|SKIP): / { next }
yaml && /^[ \t]*\.\.\.[ \t]*$/ { leave(); next }
!yaml && /^[ \t]*---[ \t]*$/ { yaml = 1; next }
yaml {
	line = $0
	sub(/^[ \t]+/, "", line)
	ind = match($0, /[^ \t]/) - 1
	if (inerr) {
		if (ind > errind || line == "") {
			if (line != "")
				err = err (err == "" ? "" : " / ") line
			next
		}
		inerr = 0
		flush_err()
	}
	if (instack) {
		if (ind > stackind) {
			if (!framed && line ~ /file:\/\// && line !~ /node_modules/) {
				fr = line
				sub(/^.*file:\/\//, "", fr)
				sub(/\).*$/, "", fr)
				out("    at " fr)
				framed = 1
			}
			next
		}
		instack = 0
	}
	if (line ~ /^error: \|/) {
		inerr = 1
		errind = ind
		next
	}
	if (line ~ /^error: /) {
		err = substr(line, 8)
		flush_err()
		next
	}
	if (line ~ /^(expected|actual|location): /) {
		out("    " line)
		next
	}
	if (line ~ /^stack: /) {
		instack = 1
		stackind = ind
	}
	next
}
/^[ \t]*#/ {
	line = $0
	sub(/^[ \t]+/, "", line)
	out("    " line)
	next
}
{ leave() }
END { leave() }
