// pay.test.mjs: paying end to end against the sandbox processor: one invoice with the default card, Pay Now with a new saved card, declines, a tampered amount and double submits (the simulator's ledger is the judge).
import test, { afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  launch, url, pathOf, signIn, signInNew, newClient, ledger, fillCard, submitAndWait, cents, ownErrors, alertText,
} from './helpers.mjs';

let open = [];
afterEach(async () => {
  for (const b of open) await b.close();
  open = [];
});

/** session(invoices, opts): a new demo client with those invoices, signed
 * in; opts.card saves a 4242 card first (through + New Card); opts.js
 * false turns JavaScript off. Returns {page, context, client}. */
async function session(invoices, opts = {}) {
  const client = newClient('demo', invoices);
  if (opts.card) {
    // The card widget needs JavaScript: save the card in a browser with
    // it on, whatever the session under test uses.
    const w = await launch();
    open.push(w);
    await signInNew(w.page, client);
    await w.page.goto(url('/billing/payment-methods/new'));
    await fillCard(w.page, '4242 4242 4242 4242');
    await submitAndWait(w.page, w.page.getByRole('button', { name: 'Save', exact: true }));
    assert.equal(pathOf(w.page), '/billing/payment-methods?saved=1');
  }
  const b = await launch({ viewport: { width: 390, height: 844 }, javaScriptEnabled: opts.js !== false });
  open.push(b);
  if (opts.card) await signIn(b.page, client.email, client.password);
  else await signInNew(b.page, client);
  assert.equal(pathOf(b.page), '/billing');
  return { page: b.page, context: b.context, client };
}

/** faults(knobs): sets the simulator's fault knobs ({} clears them). */
async function faults(knobs) {
  const r = await fetch(`${process.env.SIM_URL}/__admin/faults`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(knobs),
  });
  assert.equal(r.status, 200);
}

/** balance(page): the balance on Billing & Payments, in cents. */
async function balance(page) {
  await page.goto(url('/billing'));
  return cents(await page.locator('#balance').innerText());
}

/** newCharges(before): the ledger's charges after the first before. */
async function newCharges(before) {
  return (await ledger()).slice(before);
}

/** payInvoiceLink(page, description): the pay action of the invoice row
 * holding description. */
function payInvoiceLink(page, description) {
  return page.locator('tr', { hasText: description }).getByRole('link', { name: /^Pay Now: invoice/ });
}

test('pay one invoice with the default card', async () => {
  const { page, context } = await session([
    { date: '2026-09-02', description: 'Individual session Sep 2', amount: '120.00' },
    { date: '2026-09-09', description: 'Follow-up session Sep 9', amount: '80.00' },
  ], { card: true });
  assert.equal(await balance(page), 20000);
  assert.equal(await page.getByRole('link', { name: 'Pay Now', exact: true }).count(), 1, 'Pay Now for the balance');
  const row = page.locator('tr', { hasText: 'Individual session Sep 2' });
  assert.match(await row.innerText(), /INV-\S+/, 'the invoice number');
  assert.match(await row.innerText(), /Sep 2, 2026/, 'the date');
  assert.match(await row.innerText(), /\$120\.00/, 'the amount due');
  await submitAndWait(page, payInvoiceLink(page, 'Individual session Sep 2'));
  assert.match(pathOf(page), /^\/billing\/pay\?invoice=\d+$/);
  assert.equal(await page.locator('#amount').innerText(), '$120.00');
  const amount = page.locator('form.pay input[name="amount"]');
  assert.equal(await amount.getAttribute('type'), 'hidden', 'the amount is not editable');
  assert.equal(await page.locator('form.pay input[type="text"], form.pay input[type="number"]').count(), 0);
  const key = page.locator('form.pay input[name="form_key"]');
  assert.equal(await key.getAttribute('type'), 'hidden');
  assert.ok((await key.getAttribute('value')).length >= 32, 'a one-time form key');
  assert.equal(await page.getByLabel(/Visa ending in 4242/).isChecked(), true, 'the default card is preselected');
  assert.equal(await page.getByLabel('Add Card', { exact: true }).isChecked(), false);
  assert.equal(await page.locator('#new-card').isVisible(), false, 'the widget waits for Add Card');
  const before = (await ledger()).length;
  await submitAndWait(page, page.getByRole('button', { name: 'Pay $120.00', exact: true }));
  assert.equal(await page.locator('h1').innerText(), 'Payment received');
  assert.equal(await page.locator('#paid-amount').innerText(), '$120.00');
  assert.equal(await page.locator('#paid-card').innerText(), 'Visa ending in 4242');
  assert.ok((await page.locator('#receipt-number').innerText()).trim().length > 0, 'a receipt number');
  const charges = await newCharges(before);
  assert.equal(charges.length, 1, 'one charge');
  assert.equal(charges[0].amount, 12000);
  assert.equal(charges[0].status, 'succeeded');
  assert.equal(charges[0].card.last4, '4242');
  assert.equal(await balance(page), 8000, 'the other invoice is still due');
  assert.equal(await page.locator('tr', { hasText: 'Individual session Sep 2' }).count(), 0, 'the paid invoice is gone');
  assert.equal(await page.locator('tr', { hasText: 'Follow-up session Sep 9' }).count(), 1);
  assert.deepEqual(ownErrors(context), []);
});

test('Pay Now pays the whole balance with a new card that Make default alone saves, as the form says', async () => {
  const { page } = await session([
    { date: '2026-08-01', description: 'Assessment Aug 1', amount: '60.00' },
    { date: '2026-08-15', description: 'Session Aug 15', amount: '45.50' },
  ]);
  assert.equal(await balance(page), 10550);
  await submitAndWait(page, page.getByRole('link', { name: 'Pay Now', exact: true }));
  assert.equal(pathOf(page), '/billing/pay');
  assert.equal(await page.locator('#amount').innerText(), '$105.50');
  const add = page.getByLabel('Add Card', { exact: true });
  assert.equal(await add.isChecked(), true, 'no saved card: Add Card is chosen');
  assert.equal(await page.locator('#new-card').isVisible(), true);
  await fillCard(page, '4242 4242 4242 4242');
  const makeDefault = page.getByLabel('Make default', { exact: true });
  assert.equal(await page.getByLabel('Save card for future payments', { exact: true }).isChecked(), false);
  await makeDefault.check();
  // Before paying, the form tells the client that Make default keeps the card.
  const help = page.locator(`#${await makeDefault.getAttribute('aria-describedby')}`);
  assert.equal(await help.isVisible(), true);
  assert.equal(await help.innerText(), 'Make default also saves the card for future payments.');
  const before = (await ledger()).length;
  await submitAndWait(page, page.getByRole('button', { name: 'Pay $105.50', exact: true }));
  assert.equal(await page.locator('h1').innerText(), 'Payment received');
  assert.equal(await page.locator('#paid-amount').innerText(), '$105.50');
  assert.equal(await page.locator('#paid-card').innerText(), 'Visa ending in 4242');
  const charges = await newCharges(before);
  assert.equal(charges.length, 1);
  assert.equal(charges[0].amount, 10550);
  assert.equal(charges[0].status, 'succeeded');
  assert.equal(await balance(page), 0);
  assert.equal(await page.getByRole('link', { name: 'Pay Now', exact: true }).count(), 0, 'nothing left to pay');
  await page.goto(url('/billing/payment-methods'));
  const li = page.locator('.saved-cards li', { hasText: 'Visa ending in 4242' });
  assert.equal(await li.count(), 1, 'the card was saved');
  assert.equal(await li.locator('.badge', { hasText: 'Default' }).count(), 1, 'as the default');
});

/** declines(number, message): paying with a new card number that the
 * processor refuses shows message and keeps the form. */
async function declines(number, message) {
  // (The description must not hold the card number: the leak check would
  // find it in the database.)
  const label = `Session ${randomBytes(3).toString('hex')}`;
  const { page } = await session([{ date: '2026-07-07', description: label, amount: '70.00' }]);
  await page.goto(url('/billing'));
  await submitAndWait(page, payInvoiceLink(page, label));
  const firstKey = await page.locator('input[name="form_key"]').getAttribute('value');
  await fillCard(page, number);
  const before = (await ledger()).length;
  await submitAndWait(page, page.getByRole('button', { name: 'Pay $70.00', exact: true }));
  assert.equal(pathOf(page), '/billing/pay');
  assert.match(await alertText(page), message);
  assert.match(await page.locator('#card-error').innerText(), message, 'the message is next to the card');
  assert.equal(await page.getByRole('button', { name: 'Pay $70.00', exact: true }).count(), 1, 'the form is kept');
  assert.equal(await page.getByLabel('Add Card', { exact: true }).isChecked(), true);
  assert.notEqual(await page.locator('input[name="form_key"]').getAttribute('value'), firstKey,
    'a new form key for the next try');
  const ok = (await newCharges(before)).filter((c) => c.status === 'succeeded');
  assert.equal(ok.length, 0, 'nothing was charged');
  assert.equal(await balance(page), 7000, 'still due');
  // The kept form works with a good card.
  await page.goto(url('/billing/pay'));
  await fillCard(page, '4242 4242 4242 4242');
  await submitAndWait(page, page.getByRole('button', { name: 'Pay $70.00', exact: true }));
  assert.equal(await page.locator('h1').innerText(), 'Payment received');
}

test('a declined card (4000 0000 0000 0002) keeps the form with the processor\'s message', async () => {
  await declines('4000 0000 0000 0002', /Your card was declined\./);
});

test('insufficient funds (4000 0000 0000 9995) keeps the form with the processor\'s message', async () => {
  await declines('4000 0000 0000 9995', /Your card has insufficient funds\./);
});

test('a tampered partial amount is refused and nothing is charged', async () => {
  const { page } = await session([{ date: '2026-06-01', description: 'Session Jun 1', amount: '120.00' }],
    { card: true });
  await page.goto(url('/billing'));
  await submitAndWait(page, payInvoiceLink(page, 'Session Jun 1'));
  const before = (await ledger()).length;
  for (const forged of ['6000', '12001', '0', '-12000', '120.00', 'x']) {
    await page.goto(url('/billing'));
    await submitAndWait(page, page.getByRole('link', { name: 'Pay Now', exact: true }));
    await page.locator('input[name="amount"]').evaluate((el, v) => { el.value = v; }, forged);
    const resp = await submitAndWait(page, page.getByRole('button', { name: 'Pay $120.00', exact: true }));
    assert.equal(resp.status(), 400, `amount ${forged} answered 400`);
    const alert = await alertText(page);
    assert.match(alert, /full amount due, \$120\.00/, `amount ${forged}: ${alert}`);
    assert.match(alert, /Partial payments can't be made/);
    assert.equal(await page.getByRole('button', { name: 'Pay $120.00', exact: true }).count(), 1,
      'the form is shown again with the real amount');
  }
  assert.equal((await newCharges(before)).length, 0, 'no charge reached the processor');
  assert.equal(await balance(page), 12000);
});

test('the same form submitted twice at once, and again later, charges once', async () => {
  const { page } = await session([{ date: '2026-05-05', description: 'Session May 5', amount: '99.00' }],
    { card: true });
  await page.goto(url('/billing/pay'));
  const form = await page.locator('form.pay').evaluate((f) => Object.fromEntries(new FormData(f)));
  assert.equal(form.amount, '9900');
  assert.ok(form.card && form.card !== 'new', 'the saved card is chosen');
  delete form.token;
  delete form.card_brand;
  delete form.card_last4;
  const before = (await ledger()).length;
  const post = () => page.request.post(url('/billing/pay'), { form, maxRedirects: 0, failOnStatusCode: false });
  const [a, b] = await Promise.all([post(), post()]);
  const receipt = (html) => (html.match(/id="receipt-number">([^<]+)</) || [])[1];
  const ta = await a.text();
  const tb = await b.text();
  assert.equal(a.status(), 200, ta.slice(0, 300));
  assert.equal(b.status(), 200, tb.slice(0, 300));
  assert.ok(receipt(ta), 'the first shows a receipt');
  assert.equal(receipt(tb), receipt(ta), 'both show the same payment');
  const c = await post();
  assert.equal(c.status(), 200);
  assert.equal(receipt(await c.text()), receipt(ta), 'a later resubmit shows the same result');
  const charges = await newCharges(before);
  assert.equal(charges.length, 1, `exactly one charge in the ledger (got ${charges.length})`);
  assert.equal(charges[0].amount, 9900);
  assert.equal(await balance(page), 0);
});

test('clicking Pay twice fast (JavaScript off) charges once', async (t) => {
  const { page } = await session([{ date: '2026-04-04', description: 'Session Apr 4', amount: '88.00' }],
    { card: true, js: false });
  await page.goto(url('/billing/pay'));
  const before = (await ledger()).length;
  const button = page.getByRole('button', { name: 'Pay $88.00', exact: true });
  const posts = [];
  page.on('request', (r) => { if (r.method() === 'POST' && r.url().endsWith('/billing/pay')) posts.push(r); });
  // The processor answers slowly, so the second click lands while the
  // first payment is still in flight.
  await faults({ latency_ms: 1500 });
  try {
    // Raw mouse clicks: a locator click would wait for the first
    // navigation to finish.
    const box = await button.boundingBox();
    const x = box.x + box.width / 2;
    const y = box.y + box.height / 2;
    await page.mouse.click(x, y);
    await new Promise((r) => setTimeout(r, 300));
    await page.mouse.click(x, y);
    await page.waitForSelector('h1:has-text("Payment")', { timeout: 20000 });
    await page.waitForLoadState();
  } finally {
    await faults({});
  }
  t.diagnostic(`POSTs the browser sent: ${posts.length}`);
  assert.equal(posts.length, 2, 'the browser sent the form twice');
  assert.equal(await page.locator('h1').innerText(), 'Payment received', 'the page shows the one payment');
  // Let a request that is still with the server finish.
  await new Promise((r) => setTimeout(r, 1500));
  const charges = await newCharges(before);
  assert.equal(charges.length, 1, `exactly one charge (posts sent: ${posts.length})`);
  assert.equal(await balance(page), 0);
});

test('clicking Pay twice fast (JavaScript on) sends one payment', async () => {
  const { page } = await session([{ date: '2026-04-05', description: 'Session Apr 5', amount: '77.00' }],
    { card: true });
  await page.goto(url('/billing/pay'));
  const before = (await ledger()).length;
  await Promise.all([
    page.waitForNavigation(),
    page.getByRole('button', { name: 'Pay $77.00', exact: true }).dblclick(),
  ]);
  assert.equal(await page.locator('h1').innerText(), 'Payment received');
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal((await newCharges(before)).length, 1);
});
