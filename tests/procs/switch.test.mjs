// switch.test.mjs: a practice switched from the sandbox processor to Stripe
// by a YAML edit and SIGHUP takes a payment through the Stripe plugin
// against tests/sim/stripe-sim.mjs, without restarting portald. Run by
// switch.sh beside a copy of tests/e2e/helpers.mjs (node --test).
//
// The card is typed into the simulator's stand-in Stripe.js card element
// (an iframe of the simulator's origin), which card.js mounts; the page
// posts only the pm_ id, and the server saves it through a SetupIntent and
// pays through a PaymentIntent.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { launch, url, pathOf, signInNew, newClient, submitAndWait } from './helpers.mjs';

const env = (k) => {
  if (!process.env[k]) throw new Error(`${k} is not set`);
  return process.env[k];
};

async function providerAfterReload(page, want) {
  for (let i = 0; i < 60; i++) {
    await page.goto(url('/billing/payment-methods/new'));
    const w = page.locator('[data-card-widget]');
    if ((await w.count()) > 0 && (await w.getAttribute('data-provider')) === want) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

test('a YAML edit and SIGHUP switch the demo practice from sandbox to stripe; a payment goes through Stripe', async () => {
  const stripeSim = env('STRIPE_SIM_URL');
  const pid = Number(env('STACK_PORTALD_PID'));
  const today = new Date().toISOString().slice(0, 10);
  const client = newClient('demo', [{ date: today, description: 'Session after the switch', amount: '85.00' }]);
  const b = await launch();
  try {
    const { page } = b;
    await signInNew(page, client);
    assert.ok(await providerAfterReload(page, 'sandbox'), 'the demo practice starts on the sandbox processor');

    // The YAML edit: the gateway block becomes Stripe's.
    const file = `${env('STACK_DIR')}/clinicians/demo.yaml`;
    const yaml = readFileSync(file, 'utf8');
    const gw = yaml.indexOf('\ngateway:');
    assert.ok(gw >= 0, 'demo.yaml has a gateway: block');
    let end = yaml.slice(gw + 1).search(/\n(?![ \t]|#|\n)/);
    end = end < 0 ? yaml.length : gw + 1 + end;
    const stripeBlock = ['\ngateway:', '  plugin: stripe', `  api_base: ${stripeSim}`, `  js_url: ${stripeSim}/v3`,
      '  publishable_key: pk_test_switch', `  secret_key_file: ${env('STRIPE_SECRET_FILE')}`,
      `  webhook_secret_file: ${env('STRIPE_WHSEC_FILE')}`].join('\n');
    writeFileSync(file, yaml.slice(0, gw) + stripeBlock + yaml.slice(end));
    process.kill(pid, 'SIGHUP');
    assert.ok(await providerAfterReload(page, 'stripe'), 'after SIGHUP the card page uses the stripe plugin');
    assert.equal(await page.locator('script[src$="/v3"]').getAttribute('src'), `${stripeSim}/v3`,
      'the page loads Stripe.js from the configured js_url');

    // Save a card through the page: card.js mounts the Stripe.js card
    // element (the simulator's stand-in, its own iframe) and posts only the
    // pm_ id it returns.
    const frame = page.frameLocator('.card-widget iframe');
    await frame.locator('#number').fill('4242424242424242');
    await frame.locator('#exp').fill('12/34');
    await frame.locator('#cvc').fill('123');
    await submitAndWait(page, page.getByRole('button', { name: 'Save', exact: true }));
    assert.equal(pathOf(page), '/billing/payment-methods?saved=1', 'the card is saved through a Stripe SetupIntent');

    // Pay the invoice with it.
    await page.goto(url('/billing'));
    await submitAndWait(page, page.locator('tr', { hasText: 'Session after the switch' })
      .getByRole('link', { name: /^Pay Now: invoice/ }));
    await submitAndWait(page, page.getByRole('button', { name: 'Pay $85.00', exact: true }));
    assert.equal(await page.locator('h1').innerText(), 'Payment received');

    const led = await (await fetch(`${stripeSim}/__admin/ledger`)).json();
    const paid = led.payment_intents.filter((p) => p.amount === 8500 && p.status === 'succeeded');
    assert.equal(paid.length, 1, 'one PaymentIntent of $85.00 at the Stripe simulator');
    const pms = (await (await fetch(`${stripeSim}/__admin/ledger`)).json()).setup_intents ?? [];
    assert.ok(paid[0].payment_method?.startsWith('pm_'), 'charged on a saved PaymentMethod');
    if (pms.length > 0)
      assert.ok(pms.some((si) => si.payment_method === paid[0].payment_method),
        'the card saved after the switch (by a SetupIntent)');
    assert.ok(paid[0].metadata.idempotency_key, 'with its idempotency key in metadata');
    const sandbox = await (await fetch(`${env('SIM_URL')}/__admin/ledger`)).json();
    assert.equal(sandbox.charges.filter((c) => c.amount === 8500).length, 0, 'nothing went to the sandbox processor');
    process.kill(pid, 0);
    assert.equal(Number(readFileSync(`${env('STACK_DIR')}/run/portald.pid`, 'utf8').trim()), pid,
      'the same portald master: reloaded, not restarted');
  } finally {
    await b.close();
  }
});
