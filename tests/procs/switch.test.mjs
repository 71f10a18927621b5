// switch.test.mjs: a practice switched from the sandbox processor to Stripe
// by a YAML edit and SIGHUP takes a payment through the Stripe plugin
// against tests/sim/stripe-sim.mjs, without restarting portald. Run by
// switch.sh beside a copy of tests/e2e/helpers.mjs (node --test). The
// client has a card saved at the sandbox processor and AutoPay on before
// the switch: after it, the old card is neither offered nor charged, the
// client reads why and adds a card, the AutoPay line says so; switching
// back offers (and charges) the old card again.
//
// The card is typed into the simulator's stand-in Stripe.js card element
// (an iframe of the simulator's origin), which card.js mounts; the page
// posts only the pm_ id, and the server saves it through a SetupIntent and
// pays through a PaymentIntent.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  launch, url, pathOf, signInNew, newClient, submitAndWait, fillCard, portalctl, setGateway, providerAfterReload,
} from './helpers.mjs';

const env = (k) => {
  if (!process.env[k]) throw new Error(`${k} is not set`);
  return process.env[k];
};

// The card radios the pay page of the invoice described desc offers.
async function offered(page, desc) {
  await page.goto(url('/billing'));
  await submitAndWait(page, page.locator('tr', { hasText: desc }).getByRole('link', { name: /^Pay Now: invoice/ }));
  return page.locator('input[name="card"]').evaluateAll((els) => els.map((e) => e.value).filter((v) => v !== 'new'));
}

test('switching processors keeps cards honest: old cards are not offered or charged, a new card pays, ' +
     'switching back offers the old ones again', async () => {
  const stripeSim = env('STRIPE_SIM_URL');
  const pid = Number(env('STACK_PORTALD_PID'));
  const today = new Date().toISOString().slice(0, 10);
  const client = newClient('demo', [{ date: today, description: 'Session after the switch', amount: '85.00' },
                                    { date: today, description: 'Session after switching back', amount: '40.00' }]);
  const b = await launch();
  try {
    const { page } = b;
    await signInNew(page, client);
    assert.ok(await providerAfterReload(page, 'sandbox'), 'the demo practice starts on the sandbox processor');
    const sandboxBlock = readFileSync(`${env('STACK_DIR')}/clinicians/demo.yaml`, 'utf8')
      .split('\ngateway:\n')[1].split(/\n(?![ \t])/)[0].split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));

    // A card saved at the sandbox processor, and AutoPay on with it.
    await fillCard(page, '4242 4242 4242 4242');
    await submitAndWait(page, page.getByRole('button', { name: 'Save', exact: true }));
    assert.equal(pathOf(page), '/billing/payment-methods?saved=1', 'a card is saved at the sandbox processor');
    const sandboxCards = await offered(page, 'Session after the switch');
    assert.equal(sandboxCards.length, 1, 'the sandbox card is offered while on the sandbox');
    portalctl('autopay', 'enroll', '--practice', 'demo', '--email', client.email);
    await page.goto(url('/billing'));
    assert.equal((await page.locator('#autopay').innerText()).trim(), 'AutoPay is on, using Visa ending in 4242.');

    // The YAML edit: the gateway block becomes Stripe's.
    setGateway(['plugin: stripe', `api_base: ${stripeSim}`, `js_url: ${stripeSim}/v3`, 'publishable_key: pk_test_switch',
                `secret_key_file: ${env('STRIPE_SECRET_FILE')}`, `webhook_secret_file: ${env('STRIPE_WHSEC_FILE')}`]);
    assert.ok(await providerAfterReload(page, 'stripe'), 'after SIGHUP the card page uses the stripe plugin');
    assert.equal(await page.locator('script[src$="/v3"]').getAttribute('src'), `${stripeSim}/v3`,
      'the page loads Stripe.js from the configured js_url');

    // The sandbox card is not offered; the client is told why and asked
    // for a new card; the AutoPay line tells the truth.
    await page.goto(url('/billing/payment-methods'));
    assert.equal(await page.locator('.saved-cards li').count(), 0, 'Payment Methods lists no card of the old processor');
    assert.match(await page.locator('#cards-elsewhere').innerText(), /previous card processor.*add a new card/s);
    await page.goto(url('/billing'));
    assert.match(await page.locator('#autopay').innerText(),
      /AutoPay is on, but your saved cards belong to your clinician's previous card processor/);
    assert.deepEqual(await offered(page, 'Session after the switch'), [], 'the pay page offers no old card');
    assert.match(await page.locator('#cards-elsewhere').innerText(), /previous card processor/);
    assert.equal(await page.locator('#card-new').isChecked(), true, 'Add Card is chosen');

    // Save a card through the page: card.js mounts the Stripe.js card
    // element (the simulator's stand-in, its own iframe) and posts only the
    // pm_ id it returns.
    await page.goto(url('/billing/payment-methods/new'));
    const frame = page.frameLocator('.card-widget iframe');
    await frame.locator('#number').fill('4242424242424242');
    await frame.locator('#exp').fill('12/34');
    await frame.locator('#cvc').fill('123');
    await submitAndWait(page, page.getByRole('button', { name: 'Save', exact: true }));
    assert.equal(pathOf(page), '/billing/payment-methods?saved=1', 'the card is saved through a Stripe SetupIntent');
    const stripeCards = await offered(page, 'Session after the switch');
    assert.equal(stripeCards.length, 1, 'only the Stripe card is offered');
    assert.notEqual(stripeCards[0], sandboxCards[0], 'and it is not the sandbox card');
    await page.goto(url('/billing'));
    assert.equal((await page.locator('#autopay').innerText()).trim(), 'AutoPay is on, using Visa ending in 4242.',
      'AutoPay uses the new card');

    // Pay the invoice with it.
    await offered(page, 'Session after the switch');
    await submitAndWait(page, page.getByRole('button', { name: 'Pay $85.00', exact: true }));
    assert.equal(await page.locator('h1').innerText(), 'Payment received');

    const led = await (await fetch(`${stripeSim}/__admin/ledger`)).json();
    const paid = led.payment_intents.filter((p) => p.amount === 8500 && p.status === 'succeeded');
    assert.equal(paid.length, 1, 'one PaymentIntent of $85.00 at the Stripe simulator');
    assert.ok(paid[0].payment_method?.startsWith('pm_'), 'charged on a saved PaymentMethod');
    assert.ok((led.setup_intents ?? []).some((si) => si.payment_method === paid[0].payment_method),
      'the card saved after the switch (by a SetupIntent)');
    assert.ok(paid[0].metadata.idempotency_key, 'with its idempotency key in metadata');
    let sandbox = await (await fetch(`${env('SIM_URL')}/__admin/ledger`)).json();
    assert.equal(sandbox.charges.length, 0, 'nothing went to the sandbox processor');
    process.kill(pid, 0);
    assert.equal(Number(readFileSync(`${env('STACK_DIR')}/run/portald.pid`, 'utf8').trim()), pid,
      'the same portald master: reloaded, not restarted');

    // Switching back: the sandbox card is offered again (and pays), the
    // Stripe card is not.
    setGateway(sandboxBlock);
    assert.ok(await providerAfterReload(page, 'sandbox'), 'after the second SIGHUP the practice is on the sandbox');
    assert.deepEqual(await offered(page, 'Session after switching back'), sandboxCards,
      'the old sandbox card is offered again, the Stripe card is not');
    await submitAndWait(page, page.getByRole('button', { name: 'Pay $40.00', exact: true }));
    assert.equal(await page.locator('h1').innerText(), 'Payment received');
    sandbox = await (await fetch(`${env('SIM_URL')}/__admin/ledger`)).json();
    assert.deepEqual(sandbox.charges.map((c) => [c.amount, c.status]), [[4000, 'succeeded']],
      'one sandbox charge, on the old card');
    const led2 = await (await fetch(`${stripeSim}/__admin/ledger`)).json();
    assert.equal(led2.payment_intents.length, led.payment_intents.length, 'nothing more at Stripe');
    await page.goto(url('/billing'));
    assert.equal((await page.locator('#autopay').innerText()).trim(), 'AutoPay is on, using Visa ending in 4242.');
    assert.deepEqual(b.context.pageErrors, [], 'no page error or CSP violation');
  } finally {
    await b.close();
  }
});
