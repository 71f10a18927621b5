// processors.test.mjs: the card pages on Stripe and Square laid out as the
// real processors are (script, frames and API on separate origins, the
// page's CSP opened per directive to exactly what the plugin declares):
// for each, save a card, pay one invoice, Pay Now, a decline, and a 3-D
// Secure payment passed and one abandoned, in headless Chromium through
// nginx. The simulator's ledger is the oracle: one charge per payment,
// none for the decline or the abandoned challenge. Zero CSP violations in
// any frame. Run by processors.sh beside a copy of tests/e2e/helpers.mjs.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  launch, url, pathOf, signInNew, newClient, submitAndWait, setGateway, providerAfterReload,
} from './helpers.mjs';

const env = (k) => {
  if (!process.env[k]) throw new Error(`${k} is not set`);
  return process.env[k];
};

const PROCS = {
  stripe: {
    gateway: () => ['plugin: stripe', `api_base: ${env('STRIPE_API')}`, `js_url: ${env('STRIPE_JS')}/v3`,
      'publishable_key: pk_test_switch', `secret_key_file: ${env('STRIPE_SECRET_FILE')}`,
      `webhook_secret_file: ${env('STRIPE_WHSEC_FILE')}`, `csp_script_src: ${env('STRIPE_JS')}`,
      `csp_frame_src: ${env('STRIPE_JS')} ${env('STRIPE_HOOKS')}`, `csp_connect_src: ${env('STRIPE_API')}`],
    csp: () => ({ script: [env('STRIPE_JS')], frame: [env('STRIPE_JS'), env('STRIPE_HOOKS')], connect: [env('STRIPE_API')] }),
    cards: { ok: '4242424242424242', decline: '4000000000000002', threeds: '4000002760003184' },
    async fill(page, number) {
      const f = page.frameLocator('.card-widget iframe');
      await f.locator('#number').fill(number);
      await f.locator('#exp').fill('12/34');
      await f.locator('#cvc').fill('123');
    },
    challenge: { box: '.stripe-sim-3ds', pass: 'Complete authentication', cancel: 'Cancel authentication' },
    async paid(amount) {
      const led = await (await fetch(`${env('STRIPE_API')}/__admin/ledger`)).json();
      return led.payment_intents.filter((p) => p.amount === amount && p.status === 'succeeded').length;
    },
  },
  square: {
    gateway: () => ['plugin: square', `api_base: ${env('SQUARE_API')}`, `js_url: ${env('SQUARE_WEB')}/v1/square.js`,
      'application_id: sandbox-sq0idb-procs', 'location_id: LPROCS', `access_token_file: ${env('SQUARE_TOKEN_FILE')}`,
      `csp_script_src: ${env('SQUARE_WEB')}`, `csp_frame_src: ${env('SQUARE_WEB')}`,
      `csp_connect_src: ${env('SQUARE_PCI')}`],
    csp: () => ({ script: [env('SQUARE_WEB')], frame: [env('SQUARE_WEB')], connect: [env('SQUARE_PCI')] }),
    cards: { ok: '4111111111111111', decline: '4000000000009995', threeds: '4000002760003184' },
    async fill(page, number) {
      const f = page.frameLocator('.card-widget iframe');
      await f.locator('#number').fill(number);
      await f.locator('#exp').fill('12/34');
      await f.locator('#cvv').fill('111');
      await f.locator('#postal').fill('94103');
    },
    challenge: { box: '.square-sim-verify', pass: 'Complete verification', cancel: 'Close verification' },
    async paid(amount) {
      const led = await (await fetch(`${env('SQUARE_API')}/__admin/ledger`)).json();
      return led.payments.filter((p) => p.amount_money.amount === amount && p.status === 'COMPLETED').length;
    },
  },
};

// The sources a CSP directive of the page allows, without 'self'.
function directive(csp, name) {
  const d = csp.split(';').map((x) => x.trim()).find((x) => x.startsWith(`${name} `));
  return d ? d.split(/\s+/).slice(1).filter((x) => x !== "'self'").sort() : [];
}

for (const [name, P] of Object.entries(PROCS)) {
  test(`${name} with separate origins: save a card, pay an invoice, Pay Now, a decline, 3-D Secure passed and ` +
       'abandoned; one charge per payment; zero CSP violations', async () => {
    const base = { stripe: 1000, square: 2000 }[name];
    const A = { inv: base + 111, dec: base + 223, abandon: base + 337 };
    const today = new Date().toISOString().slice(0, 10);
    const desc = (k) => `${name} ${k} session`;
    const client = newClient('demo', Object.entries(A).map(([k, v]) => (
      { date: today, description: desc(k), amount: (v / 100).toFixed(2) })));
    const b = await launch();
    try {
      const { page } = b;
      await signInNew(page, client);
      setGateway(P.gateway());
      assert.ok(await providerAfterReload(page, name), `the card page uses the ${name} plugin`);

      // The page allows exactly the processor's declared origins.
      const resp = await page.goto(url('/billing/payment-methods/new'));
      const csp = resp.headers()['content-security-policy'];
      const want = P.csp();
      assert.deepEqual(directive(csp, 'script-src'), [...want.script].sort(), `script-src: ${csp}`);
      assert.deepEqual(directive(csp, 'frame-src'), [...want.frame].sort(), `frame-src: ${csp}`);
      assert.deepEqual(directive(csp, 'connect-src'), [...want.connect].sort(), `connect-src: ${csp}`);

      // Save a card.
      await P.fill(page, P.cards.ok);
      await submitAndWait(page, page.getByRole('button', { name: 'Save', exact: true }));
      assert.equal(pathOf(page), '/billing/payment-methods?saved=1', 'the card is saved');

      // Pay one invoice with it.
      const payInvoice = async (k) => {
        await page.goto(url('/billing'));
        await submitAndWait(page, page.locator('tr', { hasText: desc(k) }).getByRole('link', { name: /^Pay Now: invoice/ }));
      };
      await payInvoice('inv');
      await submitAndWait(page, page.getByRole('button', { name: `Pay $${(A.inv / 100).toFixed(2)}`, exact: true }));
      assert.equal(await page.locator('h1').innerText(), 'Payment received');
      assert.equal(await P.paid(A.inv), 1, 'one charge for the invoice');

      // A decline: nothing charged, the form again.
      await payInvoice('dec');
      await page.locator('#card-new').check();
      await P.fill(page, P.cards.decline);
      await submitAndWait(page, page.getByRole('button', { name: `Pay $${(A.dec / 100).toFixed(2)}`, exact: true }));
      assert.equal(await page.locator('h1').innerText(), 'Pay', 'the form again after a decline');
      assert.equal(await P.paid(A.dec), 0, 'no charge for the decline');

      // 3-D Secure passed, on the same invoice: one charge.
      await page.locator('#card-new').check();
      await P.fill(page, P.cards.threeds);
      await submitAndWait(page, page.getByRole('button', { name: `Pay $${(A.dec / 100).toFixed(2)}`, exact: true }));
      assert.equal(await page.locator('h1').innerText(), 'Confirm with your bank');
      let frame = page.frameLocator(`${P.challenge.box} iframe`);
      await Promise.all([page.waitForNavigation(), frame.getByRole('button', { name: P.challenge.pass }).click()]);
      assert.equal(await page.locator('h1').innerText(), 'Payment received');
      assert.equal(await P.paid(A.dec), 1, 'one charge after the challenge');

      // 3-D Secure abandoned: nothing charged, and the page says so.
      await payInvoice('abandon');
      await page.locator('#card-new').check();
      await P.fill(page, P.cards.threeds);
      await submitAndWait(page, page.getByRole('button', { name: `Pay $${(A.abandon / 100).toFixed(2)}`, exact: true }));
      assert.equal(await page.locator('h1').innerText(), 'Confirm with your bank');
      frame = page.frameLocator(`${P.challenge.box} iframe`);
      await frame.getByRole('button', { name: P.challenge.pass }).waitFor();
      await Promise.all([page.waitForNavigation(),
        page.locator(P.challenge.box).getByRole('button', { name: P.challenge.cancel }).click()]);
      assert.equal(await page.locator('h1').innerText(), 'Payment not completed');
      assert.match(await page.locator('#not-charged').innerText(), /nothing was charged/i);
      assert.equal(await P.paid(A.abandon), 0, 'no charge for the abandoned challenge');

      // Pay Now: the balance (the abandoned invoice) with the saved card.
      await page.goto(url('/billing'));
      await submitAndWait(page, page.getByRole('link', { name: 'Pay Now', exact: true }).first());
      await submitAndWait(page, page.getByRole('button', { name: `Pay $${(A.abandon / 100).toFixed(2)}`, exact: true }));
      assert.equal(await page.locator('h1').innerText(), 'Payment received');
      assert.equal(await P.paid(A.abandon), 1, 'one charge for Pay Now');

      assert.deepEqual(b.context.pageErrors, [], 'no page error');
      assert.deepEqual(b.context.cspViolations, [], 'no CSP violation in any frame');
    } finally {
      await b.close();
    }
  });
}
