#!/bin/sh
# limits.sh: the shipped nginx sites: request limits answer the portal's 429 page, static URLs carry fingerprints, and the production site (TLS, HTTP/2, HSTS, /healthz) runs on this nginx. TAP out.
#
# Registered in TESTS (tests/slow/local.mk); alone:
#   top_srcdir=... top_builddir=... tests/slow/limits.sh
# Starts the private stack (tests/lib/stack.sh) for the demo/test site
# (config/nginx/portal.conf.in), then a second nginx of its own that runs
# config/nginx/portal.conf.example as shipped, with only its host-specific
# lines rewritten (ports, certificate, socket, static root, snippet
# paths), in front of the same portald. Every request goes to loopback.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${top_srcdir:=$(cd "$here/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"

n=0
failed=0
ok() {
	n=$((n + 1))
	echo "ok $n - $1"
}
not_ok() {
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n - $1"
	shift
	local l
	for l in "$@"; do echo "#   $l"; done
	echo "#   at ${BASH_SOURCE[0]}:${BASH_LINENO[1]}"
}
# check NAME CMD...: ok when CMD succeeds.
check() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else not_ok "$name" "failed: $*"; fi
}
bail() {
	echo "Bail out! $*"
	exit 1
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/portal-limits.XXXXXX") || bail "mktemp failed"
chmod 0755 "$tmp"
source "$top_srcdir/tests/lib/stack.sh" || bail "cannot source tests/lib/stack.sh"
prod_pid=
cleanup() {
	if [ -n "$prod_pid" ]; then _stack_kill "$prod_pid" >/dev/null 2>&1; fi
	stack_stop >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

stack_start "$tmp/stack" 2>"$tmp/start.err" || { sed 's/^/# /' "$tmp/start.err"; bail "the stack did not start"; }

# ---- the demo/test site: limit_req on sign-in answers the portal's 429 page

# 25 sign-in POSTs from 127.0.0.3 at once: the zone lets 1 + burst 10
# through (portald answers them: 403 for the missing CSRF token), the
# rest are 429 from nginx. Counted, not timed: 25 posts leave at least
# 10 over the limit unless the 25 took more than 24 s (a refill a 6 s).
codes=
for _ in $(seq 1 25); do
	codes="$codes $(curl -s -o "$tmp/last.html" -w '%{http_code}' --interface 127.0.0.3 \
	    -d 'email=a%40b.c&password=x' "$STACK_URL/login")"
done
n429=$(printf '%s\n' $codes | grep -c '^429$')
first=$(printf '%s\n' $codes | head -n 1)
check "25 sign-in POSTs from one address: the first reaches portald ($first)" [ "$first" != 429 ]
check "25 sign-in POSTs from one address: at least 10 answer 429 (got $n429: $codes)" [ "$n429" -ge 10 ]
check "the 429 answer is the portal's page" grep -q '<h1>Too many requests</h1>' "$tmp/last.html"
check "the 429 page uses the portal's stylesheet" grep -q 'href="/static/portal.css"' "$tmp/last.html"
# The first 429 of a few more posts (one may find a token refilled).
h=
for _ in $(seq 1 5); do
	h=$(curl -s -D - -o /dev/null --interface 127.0.0.3 -d 'x=1' "$STACK_URL/login")
	grep -q '^HTTP/1.1 429' <<<"$h" && break
done
check "the 429 answer says Retry-After" grep -qi '^retry-after: 60' <<<"$h"
code=$(curl -s -o /dev/null -w '%{http_code}' --interface 127.0.0.3 "$STACK_URL/login")
check "GET /login from the limited address still answers 200 ($code)" [ "$code" = 200 ]
code=$(curl -s -o /dev/null -w '%{http_code}' --interface 127.0.0.4 -d 'x=1' "$STACK_URL/billing/pay")
check "another address is not limited by it ($code from portald, not 429)" [ "$code" != 429 ]
n429=0
for _ in $(seq 1 14); do
	c=$(curl -s -o /dev/null -w '%{http_code}' --interface 127.0.0.5 -d 'x=1' "$STACK_URL/documents/credit-card")
	[ "$c" = 429 ] && n429=$((n429 + 1))
done
check "14 card-save POSTs from one address: at least 5 answer 429 (got $n429)" [ "$n429" -ge 5 ]

# ---- fingerprinted static files

curl -s "$STACK_URL/login" >"$tmp/login.html"
css=$(grep -o 'href="/static/portal.css?v=[0-9a-f]*"' "$tmp/login.html" | head -n 1 | sed 's/^href="//; s/"$//')
want=$(sha256sum "$top_srcdir/www/static/portal.css" | cut -c1-12)
check "the page names /static/portal.css?v=<its hash> ($css)" [ "$css" = "/static/portal.css?v=$want" ]
grep -o 'href="/static/favicon.svg?v=[0-9a-f]\{12\}"' "$tmp/login.html" >/dev/null
check "the favicon is fingerprinted too" [ $? -eq 0 ]
h=$(curl -s -D - -o /dev/null "$STACK_URL$css")
check "a fingerprinted URL is cached for a year" grep -qi '^cache-control: public, max-age=31536000, immutable' <<<"$h"
h=$(curl -s -D - -o /dev/null "$STACK_URL/static/portal.css")
check "the same file without v= is revalidated" grep -qi '^cache-control: no-cache' <<<"$h"

# ---- the production site as shipped, on this nginx

site=$top_srcdir/config/nginx/portal.conf.example
check "the production site has no OCSP stapling" bash -c "! grep -Eq '^[[:space:]]*ssl_stapling' '$site'"
mkdir -p "$tmp/prod/snippets" "$tmp/prod/log" "$tmp/prod/run" "$tmp/prod/tmp"
chgrp -R www-data "$tmp/prod" 2>/dev/null
chmod 0770 "$tmp/prod/tmp"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=portal.example.com \
    -keyout "$tmp/prod/key.pem" -out "$tmp/prod/cert.pem" >/dev/null 2>&1 || bail "openssl req failed"
cp "$top_srcdir/config/nginx/portal-fastcgi.conf" "$top_srcdir/config/nginx/portal-limits.conf" "$tmp/prod/snippets/"
https_port=$(stack_free_port) || bail "no free port"
http_port=$(stack_free_port) || bail "no free port"
# Host-specific lines only; the rest is the shipped file.
sed -e "s#listen 443 ssl http2;#listen 127.0.0.1:$https_port ssl http2;#" \
    -e "/listen \[::\]:443/d; /listen \[::\]:80;/d" \
    -e "s#listen 80;#listen 127.0.0.1:$http_port;#" \
    -e "s#/etc/letsencrypt/live/portal.example.com/fullchain.pem#$tmp/prod/cert.pem#" \
    -e "s#/etc/letsencrypt/live/portal.example.com/privkey.pem#$tmp/prod/key.pem#" \
    -e "s#/run/portal/portald.sock#$STACK_SOCKET#g" \
    -e "s#/usr/local/share/portal/www/static/#$STACK_STATIC/#g" \
    -e "s#/var/log/nginx/#$tmp/prod/log/#g" \
    -e "s#include snippets/#include $tmp/prod/snippets/#" \
    "$site" >"$tmp/prod/site.conf"
user_line=
[ "$(id -u)" = 0 ] && user_line="user www-data ${STACK_SOCKET_GROUP:-www-data};"
cat >"$tmp/prod/nginx.conf" <<EOF
daemon off;
pid $tmp/prod/run/nginx.pid;
error_log $tmp/prod/log/error.log warn;
$user_line
worker_processes 1;
events { worker_connections 512; }
http {
	types { text/html html; text/css css; application/javascript js; image/svg+xml svg; }
	client_body_temp_path $tmp/prod/tmp/body;
	fastcgi_temp_path $tmp/prod/tmp/fastcgi;
	proxy_temp_path $tmp/prod/tmp/proxy;
	uwsgi_temp_path $tmp/prod/tmp/uwsgi;
	scgi_temp_path $tmp/prod/tmp/scgi;
	include $tmp/prod/site.conf;
}
EOF
if "$NGINX" -t -p "$tmp/prod" -c "$tmp/prod/nginx.conf" >"$tmp/prod/t.out" 2>&1; then
	ok "nginx -t accepts the production site ($("$NGINX" -v 2>&1))"
else
	not_ok "nginx -t accepts the production site" "$(cat "$tmp/prod/t.out")"
fi
"$NGINX" -p "$tmp/prod" -c "$tmp/prod/nginx.conf" </dev/null >>"$tmp/prod/log/stderr" 2>&1 &
prod_pid=$!
base="https://portal.example.com:$https_port"
resolve=(--resolve "portal.example.com:$https_port:127.0.0.1" --cacert "$tmp/prod/cert.pem")
for _ in $(seq 1 50); do
	curl -s -o /dev/null "${resolve[@]}" "$base/login" && break
	sleep 0.1
done
h=$(curl -s -D - -o /dev/null --http2 "${resolve[@]}" "$base/login")
check "the production site serves /login over TLS with HTTP/2" grep -q '^HTTP/2 200' <<<"$h"
check "it sends HSTS" grep -qi '^strict-transport-security: max-age=63072000' <<<"$h"
h=$(curl -s -D - -o /dev/null "${resolve[@]}" "$base$css")
check "its fingerprinted CSS is cached a year, with HSTS" \
    bash -c "grep -qi '^cache-control: public, max-age=31536000' <<<'$h' && grep -qi '^strict-transport-security' <<<'$h'"
code=$(curl -s -o /dev/null -w '%{http_code}' "${resolve[@]}" --interface 127.0.0.2 "$base/healthz")
check "/healthz from another address than loopback's 127.0.0.1 is refused ($code)" [ "$code" = 403 ]
code=$(curl -s -o /dev/null -w '%{http_code}' "${resolve[@]}" --interface 127.0.0.1 "$base/healthz")
check "/healthz from 127.0.0.1 reaches portald ($code)" [ "$code" != 403 ]
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$http_port/login")
check "plain HTTP redirects to HTTPS ($code)" [ "$code" = 301 ]
codes=
for _ in $(seq 1 14); do
	codes="$codes $(curl -s -o "$tmp/last.html" -w '%{http_code}' "${resolve[@]}" --interface 127.0.0.6 -d 'x=1' "$base/login")"
done
check "the production site limits sign-in POSTs with the 429 page ($codes)" \
    bash -c "grep -q 429 <<<'$codes' && grep -q '<h1>Too many requests</h1>' '$tmp/last.html'"

echo "1..$n"
[ "$failed" -eq 0 ]
