// cards.test.mjs: cards on file end to end: the Documents "Credit card information" form, + New Card, changing the default, and no edit or remove.
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import {
  launch, url, pathOf, signInNew, newClient, ledger, fillCard, submitAndWait, ownErrors, alertText,
} from './helpers.mjs';

let browser;
let page;
let client;

before(async () => {
  client = newClient('demo', [{ date: '2026-10-01', description: 'Intake session', amount: '95.00' }]);
  browser = await launch({ viewport: { width: 390, height: 844 } });
  page = browser.page;
  await signInNew(page, client);
  assert.equal(pathOf(page), '/billing', 'signed in');
});
after(async () => {
  if (browser) await browser.close();
});

/** savedCards(): the Payment Methods list as [{text, isDefault}]. */
async function savedCards() {
  await page.goto(url('/billing/payment-methods'));
  const items = page.locator('.saved-cards li');
  const out = [];
  for (let i = 0; i < (await items.count()); i++) {
    const li = items.nth(i);
    out.push({
      name: (await li.locator('.card-name').innerText()).trim(),
      text: await li.innerText(),
      isDefault: (await li.locator('.badge', { hasText: 'Default' }).count()) === 1,
    });
  }
  return out;
}

test('Documents: the Credit card information form saves the card and charges nothing', async () => {
  const before = (await ledger()).length;
  const resp = await page.goto(url('/documents'));
  assert.equal(resp.status(), 200);
  const csp = resp.headers()['content-security-policy'];
  const sim = new URL(process.env.SIM_URL).origin;
  assert.match(csp, new RegExp(`script-src[^;]*${sim.replace(/[.]/g, '\\.')}`), `CSP lets the widget script in: ${csp}`);
  assert.match(csp, new RegExp(`frame-src[^;]*${sim.replace(/[.]/g, '\\.')}`), 'CSP lets the widget frame in');
  assert.doesNotMatch(csp, /'unsafe-inline'/, 'no inline script or style allowed');
  assert.equal(await page.getByRole('heading', { name: 'Credit card information' }).count(), 1);
  assert.match(await page.locator('main').innerText(), /won't be charged/);
  await fillCard(page, '4242 4242 4242 4242');
  const posted = [];
  const portal = new URL(url('/')).origin;
  page.on('request', (r) => {
    if (r.method() === 'POST' && new URL(r.url()).origin === portal) posted.push(r.postData() || '');
  });
  await submitAndWait(page, page.getByRole('button', { name: 'Save Credit Card' }));
  assert.equal(pathOf(page), '/documents?saved=1');
  assert.match(await page.getByRole('status').innerText(), /saved.*not charged/i);
  assert.equal(await page.getByRole('heading', { name: 'Credit card information' }).count(), 0,
    'the form is done once a card is on file');
  assert.ok(posted.length >= 1 && posted.every((b) => !/4242(\+|%20|-)?4242/.test(b)),
    `the portal got a token, not the card number: ${posted.join(' | ')}`);
  assert.ok(posted.some((b) => /token=tok_/.test(b)), 'a token was posted');
  assert.equal((await ledger()).length, before, 'no charge at the processor');
  const cards = await savedCards();
  assert.equal(cards.length, 1);
  assert.equal(cards[0].name, 'Visa ending in 4242');
  assert.match(cards[0].text, /Expires 12\/2034/);
  assert.ok(cards[0].isDefault, 'the first card is the default');
  assert.deepEqual(ownErrors(browser.context), []);
});

test('+ New Card with "Make this my default card" saves a second card as the default', async () => {
  await page.goto(url('/billing/payment-methods'));
  await submitAndWait(page, page.getByRole('link', { name: '+ New Card' }));
  assert.equal(pathOf(page), '/billing/payment-methods/new');
  assert.equal(await page.getByRole('heading', { name: 'New Card', level: 1 }).count(), 1);
  const box = page.getByLabel('Make this my default card', { exact: true });
  assert.equal(await box.isChecked(), false);
  await fillCard(page, '5555 5555 5555 4444');
  await box.check();
  const before = (await ledger()).length;
  await submitAndWait(page, page.getByRole('button', { name: 'Save', exact: true }));
  assert.equal(pathOf(page), '/billing/payment-methods?saved=1');
  assert.match(await page.getByRole('status').innerText(), /saved/);
  assert.equal((await ledger()).length, before, 'saving a card charges nothing');
  const cards = await savedCards();
  assert.equal(cards.length, 2);
  const mc = cards.find((c) => c.name === 'Mastercard ending in 4444');
  const visa = cards.find((c) => c.name === 'Visa ending in 4242');
  assert.ok(mc && mc.isDefault, 'the new card is the default');
  assert.ok(visa && !visa.isDefault, 'the old card is not');
});

test('+ New Card without the box keeps the default; a declined card is not saved', async () => {
  await page.goto(url('/billing/payment-methods/new'));
  await fillCard(page, '4000 0000 0000 0002');
  const resp = await submitAndWait(page, page.getByRole('button', { name: 'Save', exact: true }));
  assert.equal(pathOf(page), '/billing/payment-methods/new', 'the form is shown again');
  assert.ok(resp.status() < 500);
  assert.match(await alertText(page), /Your card was declined\./);
  assert.match(await page.locator('#card-error').innerText(), /declined/, 'the message is next to the card');
  assert.equal((await savedCards()).length, 2, 'nothing saved');
});

test('changing the default card', async () => {
  await page.goto(url('/billing/payment-methods'));
  const btn = page.getByRole('button', { name: 'Make default: Visa ending in 4242' });
  assert.equal(await btn.count(), 1, 'Make default is offered for the other card');
  assert.equal(await page.getByRole('button', { name: 'Make default: Mastercard ending in 4444' }).count(), 0,
    'not for the default card');
  await submitAndWait(page, btn);
  assert.equal(pathOf(page), '/billing/payment-methods?default=1');
  const cards = await savedCards();
  assert.ok(cards.find((c) => c.name === 'Visa ending in 4242').isDefault);
  assert.ok(!cards.find((c) => c.name === 'Mastercard ending in 4444').isDefault);
  // The pay form preselects the new default.
  await page.goto(url('/billing/pay'));
  assert.equal(await page.getByLabel(/Visa ending in 4242/).isChecked(), true);
});

test('no edit or remove action is offered, and a forged delete is refused', async () => {
  await page.goto(url('/billing/payment-methods'));
  const main = page.locator('main');
  for (const word of [/edit/i, /remove/i, /delete/i]) {
    assert.equal(await main.getByRole('button', { name: word }).count(), 0, `no ${word} button`);
    assert.equal(await main.getByRole('link', { name: word }).count(), 0, `no ${word} link`);
  }
  assert.match(await main.innerText(), /can't edit or remove cards/);
  const action = await page.locator('form[action$="/default"]').first().getAttribute('action');
  const id = action.split('/')[3];
  const csrf = await page.locator('input[name="csrf"]').first().getAttribute('value');
  const forged = [
    ['POST', `/billing/payment-methods/${id}/delete`],
    ['POST', `/billing/payment-methods/${id}/remove`],
    ['POST', `/billing/payment-methods/${id}/edit`],
    ['POST', `/billing/payment-methods/${id}`],
    ['DELETE', `/billing/payment-methods/${id}`],
    ['PUT', `/billing/payment-methods/${id}`],
  ];
  for (const [method, path] of forged) {
    const r = await page.request.fetch(url(path), {
      method, form: { csrf }, maxRedirects: 0, failOnStatusCode: false,
    });
    assert.ok([404, 405].includes(r.status()), `${method} ${path} answered ${r.status()}`);
  }
  assert.equal((await savedCards()).length, 2, 'both cards are still there');
});

test('another client\'s card id cannot be made the default', async () => {
  await page.goto(url('/billing/payment-methods'));
  const csrf = await page.locator('input[name="csrf"]').first().getAttribute('value');
  const r = await page.request.post(url('/billing/payment-methods/999999999/default'), {
    form: { csrf }, maxRedirects: 0, failOnStatusCode: false,
  });
  assert.equal(r.status(), 404);
  const noCsrf = await page.request.post(url('/billing/payment-methods/1/default'), {
    form: {}, maxRedirects: 0, failOnStatusCode: false,
  });
  assert.equal(noCsrf.status(), 403, 'a POST without the CSRF token is refused');
});
