// autopay.test.mjs: the client sees on Billing & Payments that the
// clinician turned AutoPay on, and with which card; and sees nothing of it
// before enrollment or after it is turned off.
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import {
  launch, url, signInNew, newClient, fillCard, submitAndWait, portalctl,
} from './helpers.mjs';

let browser;
let page;
let client;

before(async () => {
  client = newClient('demo', [{ date: '2026-10-05', description: 'Individual session', amount: '110.00' }]);
  browser = await launch();
  page = browser.page;
  await signInNew(page, client);
  await page.goto(url('/billing/payment-methods/new'));
  await fillCard(page, '4242 4242 4242 4242');
  await submitAndWait(page, page.getByRole('button', { name: 'Save', exact: true }));
});
after(async () => {
  if (browser) await browser.close();
});

test('AutoPay: no notice before the clinician enrolls the client', async () => {
  await page.goto(url('/billing'));
  assert.equal(await page.locator('#autopay').count(), 0);
});

test('AutoPay: after enrollment /billing says it is on and names the card', async () => {
  portalctl('autopay', 'enroll', '--practice', 'demo', '--email', client.email);
  await page.goto(url('/billing'));
  assert.equal((await page.locator('#autopay').innerText()).trim(),
    'AutoPay is on, using Visa ending in 4242.');
});

test('AutoPay: after unenrollment the notice is gone', async () => {
  portalctl('autopay', 'unenroll', '--practice', 'demo', '--email', client.email);
  await page.goto(url('/billing'));
  const n = await page.locator('#autopay').count();
  if (n > 0) assert.doesNotMatch(await page.locator('#autopay').innerText(), /AutoPay is on/);
});
