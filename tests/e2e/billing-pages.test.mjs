// billing-pages.test.mjs: the billing pages beyond the happy paths: a payment whose outcome is unknown (processing notice, settled by reconcile), other clients' invoices (3-D Secure: threeds.test.mjs), and the pages on a phone, in print, with labels and a CSP that opens only where the card widget is.
import test, { afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  launch, url, pathOf, signInNew, newClient, ledger, fillCard, submitAndWait, cents, alertText,
  portalctl,
} from './helpers.mjs';

let open = [];
afterEach(async () => {
  for (const b of open) await b.close();
  open = [];
});

/** session(invoices, opts): a signed-in new demo client (opts.card: with
 * a saved 4242 card; opts.viewport). */
async function session(invoices, opts = {}) {
  const client = newClient('demo', invoices);
  const b = await launch(opts.viewport ? { viewport: opts.viewport } : {});
  open.push(b);
  await signInNew(b.page, client);
  assert.equal(pathOf(b.page), '/billing');
  if (opts.card) {
    await b.page.goto(url('/billing/payment-methods/new'));
    await fillCard(b.page, '4242 4242 4242 4242');
    await submitAndWait(b.page, b.page.getByRole('button', { name: 'Save', exact: true }));
    assert.equal(pathOf(b.page), '/billing/payment-methods?saved=1');
  }
  return { page: b.page, context: b.context, client };
}

async function faults(knobs) {
  const r = await fetch(`${process.env.SIM_URL}/__admin/faults`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(knobs),
  });
  assert.equal(r.status, 200);
}

const label = (s) => `${s} ${randomBytes(3).toString('hex')}`;

test('an unknown outcome shows "processing", hides Pay Now, and reconcile settles it once', async () => {
  const desc = label('Session');
  const { page } = await session([{ date: '2026-03-03', description: desc, amount: '42.00' }], { card: true });
  const before = (await ledger()).length;
  // The processor records the charge, then answers 500: the portal cannot
  // know the outcome.
  await faults({ fail_after_commit: true, count: 1 });
  try {
    await page.goto(url('/billing/pay'));
    await submitAndWait(page, page.getByRole('button', { name: 'Pay $42.00', exact: true }));
  } finally {
    await faults({});
  }
  assert.equal(await page.locator('h1').innerText(), 'Payment processing');
  assert.match(await page.getByRole('status').innerText(), /processing.*won't be charged twice/);
  await page.goto(url('/billing'));
  assert.match(await page.getByRole('status').innerText(), /A payment is processing/);
  assert.equal(await page.getByRole('link', { name: 'Pay Now', exact: true }).count(), 0, 'no Pay Now while processing');
  assert.equal(await page.getByRole('link', { name: /^Pay Now: invoice/ }).count(), 0);
  portalctl('payments', 'reconcile', '--practice', 'demo', '--min-age', '0');
  await page.goto(url('/billing'));
  assert.equal(cents(await page.locator('#balance').innerText()), 0, 'reconcile applied the payment');
  assert.equal(await page.getByText('A payment is processing').count(), 0, 'the notice is gone');
  const charges = (await ledger()).slice(before);
  assert.equal(charges.length, 1, 'one charge');
  assert.equal(charges[0].amount, 4200);
});

test('another client\'s invoice cannot be opened or paid', async () => {
  const other = newClient('demo', [{ date: '2026-03-05', description: label('Other'), amount: '10.00' }]);
  const { page } = await session([{ date: '2026-03-05', description: label('Mine'), amount: '10.00' }], { card: true });
  await page.goto(url('/billing/pay'));
  const form = await page.locator('form.pay').evaluate((f) => Object.fromEntries(new FormData(f)));
  // Invoice ids are small integers: try the neighbours of this client's.
  await page.goto(url('/billing'));
  const href = await page.getByRole('link', { name: /^Pay Now: invoice/ }).first().getAttribute('href');
  const mine = Number(href.split('=')[1]);
  let refused = 0;
  for (const id of [mine - 1, mine + 1, 999999999]) {
    if (id < 1) continue;
    const get = await page.request.get(url(`/billing/pay?invoice=${id}`), { failOnStatusCode: false });
    assert.equal(get.status(), 404, `GET invoice ${id}`);
    const post = await page.request.post(url('/billing/pay'), {
      form: { ...form, target: 'invoice', invoice: String(id), amount: '1000' },
      maxRedirects: 0, failOnStatusCode: false,
    });
    assert.equal(post.status(), 404, `POST invoice ${id}`);
    refused++;
  }
  assert.ok(refused >= 2);
  assert.match(portalctl('invoice', 'list', '--practice', 'demo', '--email', other.email),
    /\$10\.00 unpaid/, 'the other client\'s invoice is untouched');
});

test('the billing pages fit a 390px phone, label every field, and print without navigation', async () => {
  const { page } = await session([
    { date: '2026-02-01', description: 'A long description of a therapy session that wraps on a phone', amount: '1234.56' },
    { date: '2026-02-02', description: label('Short'), amount: '5.00' },
  ], { card: true, viewport: { width: 390, height: 844 } });
  for (const path of ['/billing', '/billing/pay', '/billing/payment-methods', '/billing/payment-methods/new']) {
    await page.goto(url(path));
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 390, `${path} is ${width}px wide`);
    const unlabelled = await page.evaluate(() => [...document.querySelectorAll('input, select, textarea')]
      .filter((el) => el.type !== 'hidden' && el.labels.length === 0 && !el.getAttribute('aria-label'))
      .map((el) => el.name || el.id));
    assert.deepEqual(unlabelled, [], `${path}: every field has a label`);
  }
  await page.goto(url('/billing'));
  await page.emulateMedia({ media: 'print' });
  assert.equal(await page.locator('nav.tabs').isVisible(), false, 'no navigation in print');
  assert.equal(await page.getByRole('link', { name: 'Pay Now', exact: true }).isVisible(), false, 'no Pay Now in print');
  assert.equal(await page.locator('#balance').isVisible(), true, 'the balance prints');
  assert.equal(await page.locator('table.invoices').isVisible(), true, 'the invoices print');
  await page.emulateMedia({ media: 'screen' });
});

test('only pages with the card widget let the processor\'s origin into the CSP', async () => {
  const { page } = await session([{ date: '2026-02-03', description: label('Session'), amount: '5.00' }]);
  const sim = new URL(process.env.SIM_URL).origin;
  const widget = ['/billing/pay', '/billing/payment-methods/new', '/documents'];
  const plain = ['/billing', '/billing/payment-methods', '/billing/documents', '/billing/history'];
  for (const path of widget) {
    const r = await page.goto(url(path));
    const csp = r.headers()['content-security-policy'];
    for (const d of ['script-src', 'frame-src', 'connect-src']) {
      const directive = csp.split(';').map((x) => x.trim()).find((x) => x.startsWith(d + ' '));
      assert.ok(directive && directive.split(/\s+/).includes(sim), `${path}: ${d} allows ${sim}: ${csp}`);
    }
    assert.match(csp, /frame-ancestors 'none'/);
    assert.equal(await page.locator(`script[src^="${sim}"]`).count(), 1, `${path} loads the widget script`);
  }
  for (const path of plain) {
    const r = await page.goto(url(path));
    const csp = r.headers()['content-security-policy'];
    assert.ok(!csp.includes(sim), `${path} has no processor origin: ${csp}`);
    assert.equal(await page.locator('iframe').count(), 0);
  }
  const js = await fetch(url('/static/card.js'));
  assert.equal(js.status, 200);
  assert.match(js.headers.get('content-type'), /javascript/);
  assert.equal(js.headers.get('x-content-type-options'), 'nosniff');
  assert.match(js.headers.get('cache-control'), /no-cache/, 'the card script is revalidated after upgrades');
  // Once a card is on file, Documents asks for nothing.
  await page.goto(url('/documents'));
  await fillCard(page, '4242 4242 4242 4242');
  await submitAndWait(page, page.getByRole('button', { name: 'Save Credit Card' }));
  const r = await page.goto(url('/documents'));
  assert.ok(!r.headers()['content-security-policy'].includes(sim), 'no widget, no processor origin');
});
