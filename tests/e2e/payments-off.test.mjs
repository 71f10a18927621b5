// payments-off.test.mjs: a practice with Online Payments off (no Pay Now, payment requests refused), a gateway plugin that fails to start (that practice alone goes offline), and a YAML edit + SIGHUP switching the practice to another processor.
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  launch, url, need, pathOf, signInNew, newClient, ledger, fillCard, submitAndWait,
} from './helpers.mjs';

let open = [];
after(async () => {
  for (const b of open) await b.close();
});

async function signedIn(client) {
  const b = await launch();
  open.push(b);
  await signInNew(b.page, client);
  assert.equal(pathOf(b.page), '/billing');
  return b.page;
}

/** csrfOf(page): the CSRF token of the page's forms. */
async function csrfOf(page) {
  return page.locator('input[name="csrf"]').first().getAttribute('value');
}

test('Online Payments off: no Pay Now, no card entry, and forged payment requests are refused', async () => {
  const client = newClient('harbor-family', [{ date: '2026-10-02', description: 'Family session Oct 2', amount: '130.00' }]);
  const page = await signedIn(client);
  const main = page.locator('main');
  assert.match(await page.locator('#balance').innerText(), /\$130\.00/, 'the balance is shown');
  assert.equal(await page.locator('tr', { hasText: 'Family session Oct 2' }).count(), 1, 'the invoice is listed');
  assert.equal(await main.getByRole('link', { name: 'Pay Now', exact: true }).count(), 0, 'no Pay Now');
  assert.equal(await main.getByRole('link', { name: /^Pay Now: invoice/ }).count(), 0, 'no pay action per invoice');
  assert.match(await main.innerText(), /Online payments aren't offered by Harbor Family Therapy/);
  await page.goto(url('/billing/payment-methods'));
  assert.equal(await page.getByRole('link', { name: '+ New Card' }).count(), 0, 'no + New Card');
  await page.goto(url('/documents'));
  assert.equal(await page.getByRole('heading', { name: 'Credit card information' }).count(), 0);
  assert.equal(await page.locator('iframe').count(), 0, 'no card widget anywhere');

  const get = await page.goto(url('/billing/pay'));
  assert.equal(get.status(), 403);
  assert.match(await page.getByRole('alert').innerText(), /Online payments aren't available/);
  const csrf = await csrfOf(page);
  const before = (await ledger()).length;
  const forged = [
    ['/billing/pay', { csrf, target: 'balance', amount: '13000', form_key: 'a'.repeat(43), card: 'new', token: 'tok_x' }],
    ['/billing/payment-methods/new', { csrf, token: 'tok_x', make_default: '1' }],
    ['/documents/credit-card', { csrf, token: 'tok_x' }],
  ];
  for (const [path, form] of forged) {
    const r = await page.request.post(url(path), { form, maxRedirects: 0, failOnStatusCode: false });
    assert.equal(r.status(), 403, `POST ${path} refused`);
    assert.match(await r.text(), /Online payments aren(&#39;|')t available/);
  }
  assert.equal((await ledger()).length, before, 'nothing reached the processor');
  await page.goto(url('/billing'));
  assert.match(await page.locator('#balance').innerText(), /\$130\.00/);
});

// ---- SIGHUP: a broken plugin, then another processor ----

const practiceFile = () => join(need('STACK_DIR'), 'clinicians', 'demo.yaml');
let original;
let sim2;

/** reload(text): writes demo.yaml, SIGHUPs portald and waits until the new
 * workers answer with the change applied (check returns true). */
async function reload(text, check) {
  writeFileSync(practiceFile(), text);
  process.kill(Number(need('STACK_PORTALD_PID')), 'SIGHUP');
  for (let i = 0; i < 100; i++) {
    await new Promise((r) => setTimeout(r, 200));
    if (await check()) return;
  }
  throw new Error('the reload did not take effect within 20 s');
}

/** startSim(): a second sandbox simulator with the stack's secret key. */
function startSim() {
  const key = readFileSync(join(need('STACK_DIR'), 'sandbox-secret.key'), 'utf8').trim();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [need('SIM_SCRIPT'), '--port', '0', '--quiet',
      '--frame-ancestors', need('STACK_URL')], {
      stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, SANDBOX_SECRET_KEY: key },
    });
    child.stdout.on('data', (d) => {
      const m = String(d).match(/listening (\d+)/);
      if (m) resolve({ child, base: `http://127.0.0.1:${m[1]}` });
    });
    child.on('exit', (c) => reject(new Error(`simulator exited ${c}`)));
  });
}

before(() => {
  original = readFileSync(practiceFile(), 'utf8');
});
after(async () => {
  if (original !== undefined && readFileSync(practiceFile(), 'utf8') !== original) {
    writeFileSync(practiceFile(), original);
    process.kill(Number(need('STACK_PORTALD_PID')), 'SIGHUP');
    await new Promise((r) => setTimeout(r, 2000));
  }
  if (sim2) sim2.child.kill('SIGTERM');
});

test('a plugin that fails to start turns Online Payments off for that practice alone (YAML edit + SIGHUP)', async () => {
  const client = newClient('demo', [{ date: '2026-10-03', description: 'Session Oct 3', amount: '50.00' }]);
  const page = await signedIn(client);
  assert.equal(await page.getByRole('link', { name: 'Pay Now', exact: true }).count(), 1, 'Pay Now before');
  const logFile = join(need('STACK_DIR'), 'log', 'portald.log');
  const broken = original.replace(/^(\s+plugin:\s*)sandbox\s*$/m, '$1nosuchplugin');
  assert.notEqual(broken, original, 'demo.yaml names the sandbox plugin');
  await reload(broken, async () => {
    const r = await page.goto(url('/billing'));
    return r.status() === 200 && (await page.getByRole('link', { name: 'Pay Now', exact: true }).count()) === 0;
  });
  const log = readFileSync(logFile, 'utf8');
  assert.match(log, /event=gateway_failed practice=demo plugin=nosuchplugin error=.*action=online_payments_off/,
    'one clear log line naming the practice and the plugin');
  assert.match(await page.locator('#balance').innerText(), /\$50\.00/, 'the rest of the portal works');
  assert.equal((await page.goto(url('/billing/pay'))).status(), 403, 'payments refused');
  await reload(original, async () => {
    const r = await page.goto(url('/billing'));
    return r.status() === 200 && (await page.getByRole('link', { name: 'Pay Now', exact: true }).count()) === 1;
  });
});

test('a YAML edit + SIGHUP switches the practice to another processor', async () => {
  sim2 = await startSim();
  const client = newClient('demo', [{ date: '2026-10-04', description: 'Session Oct 4', amount: '64.00' }]);
  const page = await signedIn(client);
  const switched = original.replace(/^(\s+api_base:\s*).*$/m, `$1${sim2.base}`);
  assert.notEqual(switched, original);
  await reload(switched, async () => {
    const r = await page.goto(url('/documents'));
    return r.status() === 200 && (r.headers()['content-security-policy'] || '').includes(sim2.base);
  });
  const first = (await ledger()).length;
  await page.goto(url('/billing/pay'));
  assert.ok((await page.locator('.card-widget iframe').getAttribute('src')).startsWith(sim2.base),
    'the widget comes from the new processor');
  await fillCard(page, '4242 4242 4242 4242');
  await submitAndWait(page, page.getByRole('button', { name: 'Pay $64.00', exact: true }));
  assert.equal(await page.locator('h1').innerText(), 'Payment received');
  const r = await fetch(`${sim2.base}/__admin/ledger`);
  const charges = (await r.json()).charges;
  assert.equal(charges.length, 1, 'the charge went to the new processor');
  assert.equal(charges[0].amount, 6400);
  assert.equal((await ledger()).length, first, 'and not to the old one');
  await reload(original, async () => {
    const resp = await page.goto(url('/documents'));
    return !(resp.headers()['content-security-policy'] || '').includes(sim2.base);
  });
});
