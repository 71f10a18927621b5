// expired.test.mjs: a saved card that has expired since it was saved is
// shown as expired, never preselected, never charged by Pay Now (even when
// a forged form picks it) and cannot be made the default; AutoPay's notice
// says so. (AutoPay's night skipping it: tests/autopay/autopay.sh.)
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  launch, url, pathOf, signInNew, newClient, ledger, fillCard, submitAndWait, ownErrors, alertText,
  portalctl, need,
} from './helpers.mjs';

let browser;
let page;
let client;

/** sql(q): runs q on the stack's database as root; returns the output. */
function sql(q) {
  return execFileSync('mariadb', ['-S', need('PORTAL_DB_SOCKET'), '-u', 'root', '-N', 'portal', '-e', q],
    { encoding: 'utf8' }).trim();
}

// A month that is over in every time zone: last year's January.
const year = new Date().getUTCFullYear() - 1;

/** addCard(number, makeDefault): + New Card. */
async function addCard(number, makeDefault) {
  await page.goto(url('/billing/payment-methods/new'));
  await fillCard(page, number);
  if (makeDefault) await page.getByLabel('Make this my default card', { exact: true }).check();
  await submitAndWait(page, page.getByRole('button', { name: 'Save', exact: true }));
  assert.equal(pathOf(page), '/billing/payment-methods?saved=1');
}

before(async () => {
  client = newClient('demo', [{ date: '2026-10-02', description: 'Individual therapy session', amount: '120.00' }]);
  browser = await launch({ viewport: { width: 390, height: 844 } });
  page = browser.page;
  await signInNew(page, client);
  await addCard('4242 4242 4242 4242', false); // the first card: the default
  await addCard('5555 5555 5555 4444', false);
  portalctl('autopay', 'enroll', '--practice', 'demo', '--email', client.email);
  // Time passes: the default card's month goes by.
  const cid = sql(`SELECT id FROM clients WHERE email = '${client.email}'`);
  sql(`UPDATE payment_methods SET exp_month = 1, exp_year = ${year} WHERE client_id = ${cid} AND last4 = '4242'`);
});
after(async () => {
  if (browser) await browser.close();
});

test('Payment Methods marks the expired card and offers no Make default for it', async () => {
  await page.goto(url('/billing/payment-methods'));
  const items = page.locator('.saved-cards li');
  assert.equal(await items.count(), 2);
  const visa = items.filter({ hasText: 'Visa ending in 4242' });
  assert.match(await visa.innerText(), new RegExp(`Expired 01/${year}`));
  assert.equal(await visa.locator('.badge', { hasText: 'Default' }).count(), 1, 'still the default on file');
  const mc = items.filter({ hasText: 'Mastercard ending in 4444' });
  assert.match(await mc.innerText(), /Expires 12\/2034/);
  assert.equal(await page.getByRole('button', { name: 'Make default: Visa ending in 4242' }).count(), 0);
  assert.equal(await page.getByRole('button', { name: 'Make default: Mastercard ending in 4444' }).count(), 1);
  assert.deepEqual(ownErrors(browser.context), []);
});

test('a forged Make default of the expired card is refused with a sentence', async () => {
  await page.goto(url('/billing/payment-methods'));
  const csrf = await page.locator('input[name="csrf"]').first().getAttribute('value');
  const id = sql(`SELECT id FROM payment_methods WHERE last4 = '4242' AND client_id = `
    + `(SELECT id FROM clients WHERE email = '${client.email}')`);
  const r = await page.request.post(url(`/billing/payment-methods/${id}/default`), {
    form: { csrf }, maxRedirects: 0, failOnStatusCode: false,
  });
  assert.equal(r.status(), 303);
  assert.match(r.headers().location, /\/billing\/payment-methods\?expired=1$/);
  await page.goto(url('/billing/payment-methods?expired=1'));
  assert.match(await alertText(page), /That card has expired, so it can't be your default card/);
});

test('Pay Now shows the expired card disabled and preselects the other one', async () => {
  await page.goto(url('/billing/pay'));
  const visa = page.getByLabel(/Visa ending in 4242/);
  assert.equal(await visa.isDisabled(), true, 'the expired card cannot be picked');
  assert.equal(await visa.isChecked(), false, 'and is not preselected, though it is the default');
  assert.match(await page.locator('label', { hasText: 'Visa ending in 4242' }).innerText(),
    new RegExp(`Expired 01/${year}`));
  assert.equal(await page.getByLabel(/Mastercard ending in 4444/).isChecked(), true);
});

test('a forged payment with the expired card charges nothing and says why', async () => {
  const before = (await ledger()).length;
  await page.goto(url('/billing/pay'));
  // What a tampered page could post: the expired card chosen anyway.
  await page.evaluate(() => {
    const r = [...document.querySelectorAll('input[name="card"]')].find((e) => e.disabled);
    r.disabled = false;
    r.checked = true;
  });
  await submitAndWait(page, page.getByRole('button', { name: /^Pay/ }));
  assert.match(await alertText(page), /This card has expired and can't be charged\. Nothing was charged\./);
  assert.equal((await ledger()).length, before, 'no charge at the processor');
  const cid = sql(`SELECT id FROM clients WHERE email = '${client.email}'`);
  assert.equal(sql(`SELECT COUNT(*) FROM payment_attempts WHERE client_id = ${cid}`), '0', 'no attempt recorded');
  assert.equal(sql(`SELECT COUNT(*) FROM audit_log WHERE client_id = ${cid} AND action = 'payment.refused'`
    + ` AND detail LIKE '%expired 01/${year}%'`), '1', 'the refusal is audited');
});

test('AutoPay\'s notice says the default card expired; enrolling again is refused, saying why', async () => {
  await page.goto(url('/billing'));
  assert.match(await page.locator('#autopay').innerText(),
    /AutoPay is on, but your default card, Visa ending in 4242, has expired, so AutoPay can't charge it\./);
  portalctl('autopay', 'unenroll', '--practice', 'demo', '--email', client.email);
  assert.throws(() => portalctl('autopay', 'enroll', '--practice', 'demo', '--email', client.email),
    new RegExp(`default card, Visa ending in 4242, expired 01/${year}`));
});

test('the card that has not expired pays', async () => {
  const before = (await ledger()).length;
  await page.goto(url('/billing/pay'));
  await submitAndWait(page, page.getByRole('button', { name: /^Pay/ }));
  assert.match(await page.locator('main').innerText(), /Thank you|Payment received|receipt/i);
  assert.equal((await ledger()).length, before + 1, 'one charge');
});
