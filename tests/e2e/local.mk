### tests/e2e/local.mk: browser end-to-end tests (headless Chromium via playwright-core,
### through a real nginx and portald), process fault tests, and the files of the
### private test stack (tests/lib/stack.sh, config/nginx/).
### run.sh needs playwright-core in $(NODE_MODULES) (npm ci in tests/e2e).
TESTS += tests/e2e/run.sh tests/fault/processes.sh
EXTRA_DIST += tests/e2e/run.sh tests/e2e/package.json tests/e2e/package-lock.json \
	tests/e2e/helpers.mjs $(E2E_TEST_FILES) \
	tests/fault/processes.sh tests/lib/stack.sh \
	config/nginx/portal.conf.in
E2E_TEST_FILES = tests/e2e/signin.test.mjs tests/e2e/security.test.mjs \
	tests/e2e/throttle.test.mjs tests/e2e/cards.test.mjs tests/e2e/pay.test.mjs \
	tests/e2e/payments-off.test.mjs tests/e2e/billing-pages.test.mjs \
	tests/e2e/docs.test.mjs tests/e2e/autopay.test.mjs tests/e2e/threeds.test.mjs tests/e2e/mail.test.mjs \
	tests/e2e/tokens.test.mjs tests/e2e/pages.test.mjs tests/e2e/expired.test.mjs \
	tests/e2e/zz-leaks.test.mjs
