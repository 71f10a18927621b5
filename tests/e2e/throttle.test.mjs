// throttle.test.mjs: wrong passwords get one generic message; repeated failures lock the account for a while.
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { launch, url, need, pathOf, signIn, setPassword, alertText } from './helpers.mjs';

let browser;
let page;

before(async () => {
  browser = await launch();
  page = browser.page;
});
after(async () => {
  if (browser) await browser.close();
});

async function sessionCookie() {
  return (await browser.context.cookies(url('/'))).find((c) => c.name === '__Host-portal_session');
}

test('a wrong password shows the sign-in page again with a generic error', async () => {
  const resp = await signIn(page, need('DEMO_EMAIL'), need('DEMO_PASSWORD') + 'x');
  assert.equal(resp.status(), 200);
  assert.match(pathOf(page), /^\/login/);
  assert.equal(await page.locator('h1').innerText(), 'Sign in');
  assert.match(await alertText(page), /The email or password is incorrect\./);
  assert.equal(await sessionCookie(), undefined, 'no session cookie');
  assert.equal(await page.getByLabel('Email', { exact: true }).inputValue(), need('DEMO_EMAIL'),
    'the email is kept in the form');
});

test('an unknown email gets the same message as a wrong password', async () => {
  const resp = await signIn(page, 'no-such-client@example.com', 'whatever password 1');
  assert.equal(resp.status(), 200);
  assert.match(await alertText(page), /The email or password is incorrect\./);
  assert.equal(await sessionCookie(), undefined, 'no session cookie');
});

test('the right password after a wrong one signs in', async () => {
  await signIn(page, need('DEMO_EMAIL'), need('DEMO_PASSWORD'));
  assert.equal(pathOf(page), '/billing');
  assert.ok(await sessionCookie(), 'session cookie set');
  await browser.context.clearCookies();
});

test('after 5 failures the account is locked even for the right password', async () => {
  const email = need('CLIENT2_EMAIL');
  const password = 'another good passphrase 42';
  await setPassword(page, need('INVITE_URL_2'), password);
  assert.equal(pathOf(page), '/login?welcome=1', 'second client set a password');

  let lockedAt = 0;
  for (let i = 1; i <= 6 && !lockedAt; i++) {
    const resp = await signIn(page, email, `wrong password number ${i}`);
    assert.equal(resp.status(), 200, `attempt ${i}: sign-in page`);
    const text = await alertText(page);
    if (/Too many failed sign-in attempts/.test(text)) lockedAt = i;
    else assert.match(text, /The email or password is incorrect\./, `attempt ${i}`);
  }
  assert.ok(lockedAt >= 5, `not locked before 5 failures (locked at attempt ${lockedAt})`);

  const resp = await signIn(page, email, password);
  assert.equal(resp.status(), 200);
  assert.match(pathOf(page), /^\/login/, 'the right password does not get in while locked');
  const text = await alertText(page);
  assert.match(text, /Too many failed sign-in attempts/);
  assert.match(text, /\d+\s*(minute|min|second)/i, `says how long to wait: "${text}"`);
  assert.equal(await sessionCookie(), undefined, 'no session cookie');

  // Other spellings of the locked address do not get in either: a case
  // variant is the same account (still locked), an accented or full-width
  // one is another address, which has no account.
  for (const variant of ['E2E-Throttle@Example.COM', 'e2e-thröttle@example.com',
    'e2e-throttle@exämple.com', 'ｅ2e-throttle@example.com']) {
    await signIn(page, variant, password);
    assert.match(pathOf(page), /^\/login/, `${variant} with the right password does not get in`);
    assert.match(await alertText(page), /Too many failed sign-in attempts|The email or password is incorrect\./,
      `${variant}: refused`);
    assert.equal(await sessionCookie(), undefined, `${variant}: no session cookie`);
  }
});
