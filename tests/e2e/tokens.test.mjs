// tokens.test.mjs: reused and unknown card tokens: a card save is idempotent per token, a stale token is a 4xx the client can act on (not a 500, not an outage), and portald logs a warning, not an error.
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { launch, url, pathOf, signInNew, newClient, need } from './helpers.mjs';

const EXPIRED = 'That card entry expired. Please enter the card again.';
const logFile = () => join(need('STACK_DIR'), 'log', 'portald.log');

let browser;
let page;
let client;
let logFrom = 0;

before(async () => {
  client = newClient('demo', [{ date: '2026-10-02', description: 'Session', amount: '80.00' }]);
  browser = await launch();
  page = browser.page;
  await signInNew(page, client);
  assert.equal(pathOf(page), '/billing', 'signed in');
  logFrom = statSync(logFile()).size;
});
after(async () => {
  if (browser) await browser.close();
});

/** mint(number): a fresh one-time token from the simulator's tokenizer API. */
async function mint(number = '4242424242424242') {
  const r = await fetch(need('SIM_URL') + '/__test/tokens', {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ number }),
  });
  assert.equal(r.status, 200, 'the simulator minted a token');
  return (await r.json()).id;
}

/** csrfOf(path): the CSRF token in the form of page path. */
async function csrfOf(path) {
  await page.goto(url(path));
  return page.locator('input[name="csrf"]').first().inputValue();
}

/** post(path, fields): a form POST in the signed-in session, redirects not followed. */
function post(path, fields) {
  return page.request.post(url(path), { form: fields, maxRedirects: 0 });
}

/** portaldLog(): what portald logged since this file started. */
function portaldLog() {
  return readFileSync(logFile()).subarray(logFrom).toString('utf8');
}

test('saving one token twice saves the card once and says it is saved', async () => {
  const token = await mint();
  const csrf = await csrfOf('/billing/payment-methods/new');
  const first = await post('/billing/payment-methods/new', { csrf, token, card_brand: 'visa', card_last4: '4242' });
  assert.equal(first.status(), 303, 'the first save redirects to the card list');
  // The browser's resubmit, or a double click: the same token again.
  const second = await post('/billing/payment-methods/new', { csrf, token, card_brand: 'visa', card_last4: '4242' });
  assert.equal(second.status(), 303, `the second save is not an error (HTTP ${second.status()})`);
  assert.equal(second.headers().location, '/billing/payment-methods?saved=1');
  await page.goto(url(second.headers().location));
  assert.match(await page.getByRole('status').innerText(), /Your card was saved/);
  const names = await page.locator('.saved-cards li .card-name').allInnerTexts();
  assert.deepEqual(names.map((s) => s.trim()), ['Visa ending in 4242'], 'the card is listed once');
});

test('an unknown or spent token answers 400 with what to do, on both card forms', async () => {
  let csrf = await csrfOf('/billing/payment-methods/new');
  const unknown = await post('/billing/payment-methods/new', { csrf, token: 'tok_0000000000000000unknown' });
  assert.equal(unknown.status(), 400);
  const body = await unknown.text();
  assert.ok(body.includes(EXPIRED), 'the page asks for the card again');
  assert.ok(!body.includes('Something went wrong'), 'not the 500 text');
  csrf = await csrfOf('/documents');
  const spent = await mint();
  const ok = await post('/documents/credit-card', { csrf, token: spent });
  assert.equal(ok.status(), 303, 'the token saves a card once');
  // The same token through the other form: the card saved already.
  const reused = await post('/billing/payment-methods/new', { csrf, token: spent });
  assert.equal(reused.status(), 303, 'the same client re-posting it finds its card');
  const other = await post('/documents/credit-card', { csrf, token: 'tok_ffffffffffffffffunknown' });
  assert.equal(other.status(), 400);
  assert.ok((await other.text()).includes(EXPIRED));
});

test('paying with a spent token says the entry expired, not that the processor is down', async () => {
  const token = await mint();
  // Spend it: save it as a card first.
  let csrf = await csrfOf('/billing/payment-methods/new');
  assert.equal((await post('/billing/payment-methods/new', { csrf, token })).status(), 303);
  await page.goto(url('/billing/pay'));
  csrf = await page.locator('input[name="csrf"]').first().inputValue();
  const formKey = await page.locator('input[name="form_key"]').inputValue();
  const amount = await page.locator('input[name="amount"]').inputValue();
  const r = await post('/billing/pay', { csrf, form_key: formKey, amount, card: 'new', token });
  assert.equal(r.status(), 400);
  const body = await r.text();
  assert.ok(body.includes(EXPIRED), 'the pay page asks for the card again');
  assert.ok(!body.includes('could not be reached'), 'not the outage text');
});

test('portald logged these as warnings, never level=error', async () => {
  const log = portaldLog();
  const errors = log.split('\n').filter((l) => /\blevel=error\b/.test(l));
  assert.deepEqual(errors, [], 'no error lines');
  assert.match(log, /level=warn .*event=card_token_invalid/, 'a warning names the stale token');
});
