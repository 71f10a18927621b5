// threeds.test.mjs: 3-D Secure in the browser through the sandbox
// processor: the bank's challenge (the simulator's challenge page in a
// frame over the portal's page) passed pays the invoice once, failed or
// abandoned charges nothing and says so; saving a card that needs
// authentication; an AutoPay charge the bank wants confirmed, confirmed by
// the client from Billing & Payments (one charge, and the next night
// charges nothing). The simulator's ledger is the oracle. No page error
// and no CSP violation in any frame.
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import {
  launch, url, pathOf, signInNew, newClient, fillCard, submitAndWait, portalctl, ledger,
} from './helpers.mjs';

let b;
let page;
const tag = Math.random().toString(36).slice(2, 8);
// Amounts no other test uses, so the shared ledger can be read by amount.
const AMT = { pass: 3317, fail: 3323, abandon: 3329, autopay: 3331 };
const dollars = (c) => `$${(c / 100).toFixed(2)}`;

before(async () => {
  const today = new Date().toISOString().slice(0, 10);
  const client = newClient('demo', Object.entries(AMT).filter(([k]) => k !== 'autopay').map(([k, v]) => (
    { date: today, description: `3DS ${k} ${tag}`, amount: (v / 100).toFixed(2) })));
  b = await launch();
  page = b.page;
  await signInNew(page, client);
});
after(async () => {
  if (b) {
    assert.deepEqual(b.context.pageErrors, [], 'no page error');
    assert.deepEqual(b.context.cspViolations, [], 'no CSP violation in any frame');
    await b.close();
  }
});

const succeeded = async (amount) => (await ledger()).filter((c) => c.amount === amount && c.status === 'succeeded');

// Pays invoice `3DS ${what}` with the 3-D Secure card up to the challenge.
async function payUpToChallenge(what) {
  await page.goto(url('/billing'));
  await submitAndWait(page, page.locator('tr', { hasText: `3DS ${what} ${tag}` })
    .getByRole('link', { name: /^Pay Now: invoice/ }));
  await page.locator('#card-new').check();
  await fillCard(page, '4000 0027 6000 3184');
  await submitAndWait(page, page.getByRole('button', { name: `Pay ${dollars(AMT[what])}`, exact: true }));
  assert.equal(await page.locator('h1').innerText(), 'Confirm with your bank');
  const frame = page.frameLocator('.challenge iframe');
  await frame.getByRole('button', { name: 'Complete authentication' }).waitFor();
  return frame;
}

test('3-D Secure passed: the bank\'s challenge shows, then the invoice is paid once', async () => {
  const frame = await payUpToChallenge('pass');
  assert.equal((await succeeded(AMT.pass)).length, 0, 'nothing charged before the challenge is passed');
  await Promise.all([page.waitForNavigation(), frame.getByRole('button', { name: 'Complete authentication' }).click()]);
  assert.equal(await page.locator('h1').innerText(), 'Payment received');
  assert.equal((await succeeded(AMT.pass)).length, 1, 'one charge in the ledger');
  await page.goto(url('/billing'));
  assert.equal(await page.locator('tr', { hasText: `3DS pass ${tag}` }).count(), 0, 'the invoice is paid');
});

test('3-D Secure failed: nothing is charged and the page says so', async () => {
  const frame = await payUpToChallenge('fail');
  await Promise.all([page.waitForNavigation(), frame.getByRole('button', { name: 'Fail authentication' }).click()]);
  assert.equal(await page.locator('h1').innerText(), 'Payment not completed');
  assert.match(await page.locator('#not-charged').innerText(), /Nothing was charged/);
  assert.equal((await succeeded(AMT.fail)).length, 0, 'no charge in the ledger');
});

test('3-D Secure abandoned: closing the challenge charges nothing and says so; trying again can pay', async () => {
  await payUpToChallenge('abandon');
  await Promise.all([page.waitForNavigation(), page.locator('.challenge').getByRole('button', { name: 'Cancel' }).click()]);
  assert.equal(await page.locator('h1').innerText(), 'Payment not completed');
  assert.match(await page.locator('#not-charged').innerText(), /wasn't completed, so nothing was charged/);
  assert.equal((await succeeded(AMT.abandon)).length, 0, 'no charge in the ledger');
  await page.goto(url('/billing'));
  assert.equal(await page.locator('tr', { hasText: `3DS abandon ${tag}` }).count(), 1, 'the invoice is still due');
});

test('saving a card that needs authentication: the challenge, then the card is saved', async () => {
  await page.goto(url('/billing/payment-methods/new'));
  await fillCard(page, '4000 0027 6000 3184');
  await submitAndWait(page, page.getByRole('button', { name: 'Save', exact: true }));
  assert.equal(await page.locator('h1').innerText(), 'Confirm with your bank');
  const frame = page.frameLocator('.challenge iframe');
  await Promise.all([page.waitForNavigation(), frame.getByRole('button', { name: 'Complete authentication' }).click()]);
  assert.equal(pathOf(page), '/billing/payment-methods?saved=1');
  assert.match(await page.locator('.saved-cards').innerText(), /Visa ending in 3184/);
});

test('AutoPay needs the bank: the client confirms that payment from Billing & Payments; one charge; the next night charges nothing', async () => {
  const today = new Date().toISOString().slice(0, 10);
  const tomorrow = new Date(Date.now() + 86400e3).toISOString().slice(0, 10);
  const client = newClient('demo', [{ date: today, description: `3DS autopay ${tag}`, amount: (AMT.autopay / 100).toFixed(2) }]);
  const b2 = await launch();
  try {
    const p = b2.page;
    await signInNew(p, client);
    // A card that always needs authentication, saved through its challenge.
    await p.goto(url('/billing/payment-methods/new'));
    await fillCard(p, '4000 0027 6000 3184');
    await submitAndWait(p, p.getByRole('button', { name: 'Save', exact: true }));
    await Promise.all([p.waitForNavigation(),
      p.frameLocator('.challenge iframe').getByRole('button', { name: 'Complete authentication' }).click()]);
    portalctl('autopay', 'enroll', '--practice', 'demo', '--email', client.email);
    portalctl('autopay', 'run', '--practice', 'demo', '--date', today);
    assert.equal((await succeeded(AMT.autopay)).length, 0, 'the night charged nothing: the bank wants the client');
    await p.goto(url('/billing'));
    assert.match(await p.locator('#autopay-action').innerText(), /confirm the AutoPay charge/);
    await submitAndWait(p, p.getByRole('link', { name: 'Confirm the AutoPay payment' }));
    assert.equal(await p.locator('h1').innerText(), 'Confirm with your bank');
    await Promise.all([p.waitForNavigation(),
      p.frameLocator('.challenge iframe').getByRole('button', { name: 'Complete authentication' }).click()]);
    assert.equal(await p.locator('h1').innerText(), 'Payment received');
    assert.equal((await succeeded(AMT.autopay)).length, 1, 'one charge in the ledger');
    await p.goto(url('/billing'));
    assert.equal(await p.locator('#autopay-action').count(), 0, 'nothing more to confirm');
    portalctl('autopay', 'run', '--practice', 'demo', '--date', tomorrow);
    assert.equal((await succeeded(AMT.autopay)).length, 1, 'the next night charges nothing');
    portalctl('autopay', 'unenroll', '--practice', 'demo', '--email', client.email);
    assert.deepEqual(b2.context.pageErrors, [], 'no page error');
    assert.deepEqual(b2.context.cspViolations, [], 'no CSP violation in any frame');
  } finally {
    await b2.close();
  }
});
