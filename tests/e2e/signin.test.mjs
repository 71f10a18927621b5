// signin.test.mjs: a client's first visit end to end: invitation, password, sign in, billing page, sign out.
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import {
  launch, url, need, pathOf, signIn, setPassword, locationOf, describedBy,
} from './helpers.mjs';

const PASSWORD = 'correct horse battery staple 7';
let browser;
let page;

before(async () => {
  browser = await launch();
  page = browser.page;
});
after(async () => {
  if (browser) await browser.close();
});

test('GET /login shows the sign-in form and sets the CSRF cookie', async () => {
  const resp = await page.goto(url('/login'));
  assert.equal(resp.status(), 200);
  assert.equal(await page.locator('h1').innerText(), 'Sign in');
  const form = page.locator('form[action="/login"]');
  assert.equal(await form.count(), 1, 'one form posting to /login');
  assert.equal((await form.getAttribute('method')).toLowerCase(), 'post');
  assert.equal(await page.getByLabel('Email', { exact: true }).getAttribute('name'), 'email');
  assert.equal(await page.getByLabel('Password', { exact: true }).getAttribute('name'), 'password');
  assert.equal(await page.getByLabel('Password', { exact: true }).getAttribute('type'), 'password');
  const csrf = form.locator('input[type="hidden"][name="csrf"]');
  assert.equal(await csrf.count(), 1, 'a hidden csrf field');
  assert.ok((await csrf.getAttribute('value')).length >= 16, 'csrf token is not empty');
  assert.equal(await form.getByRole('button', { name: 'Sign in' }).count(), 1);
  const cookies = await browser.context.cookies(url('/'));
  const c = cookies.find((x) => x.name === '__Host-portal_csrf');
  assert.ok(c, `__Host-portal_csrf cookie set (got ${cookies.map((x) => x.name).join(', ') || 'none'})`);
  assert.equal(c.path, '/');
  assert.equal(c.secure, true);
});

test('GET / shows the sign-in page', async () => {
  const resp = await page.goto(url('/'));
  assert.equal(resp.status(), 200);
  assert.equal(await page.locator('h1').innerText(), 'Sign in');
  assert.equal(await page.locator('form[action="/login"] input[name="email"]').count(), 1);
});

test('the invitation link asks for a new password', async () => {
  const resp = await page.goto(need('INVITE_URL'));
  assert.equal(resp.status(), 200);
  assert.equal(await page.locator('h1').innerText(), 'Set your password');
  assert.equal(await page.getByLabel('New password', { exact: true }).getAttribute('name'), 'password');
  assert.equal(await page.getByLabel('Confirm new password', { exact: true }).getAttribute('name'),
    'password_confirm');
  assert.equal(await page.locator('form input[type="hidden"][name="csrf"]').count(), 1);
  assert.equal(await page.getByRole('button', { name: 'Set password' }).count(), 1);
});

test('a password under 12 characters is refused next to the field', async () => {
  await setPassword(page, need('INVITE_URL'), 'short pw 1', 'short pw 1');
  assert.match(pathOf(page), /^\/invite\//, 'stays on the invitation page');
  const d = await describedBy(page, 'New password');
  assert.ok(d.invalid, 'the field is marked aria-invalid');
  assert.match(d.text, /Use at least 12 characters\./, 'the error is tied to the field (aria-describedby)');
  await page.getByText('Use at least 12 characters.').first().waitFor();
});

test('mismatched passwords are refused', async () => {
  await setPassword(page, need('INVITE_URL'), PASSWORD, PASSWORD + 'x');
  assert.match(pathOf(page), /^\/invite\//, 'stays on the invitation page');
  const d = await describedBy(page, 'Confirm new password');
  assert.ok(d.invalid, 'the confirmation field is marked aria-invalid');
  assert.match(d.text, /The passwords do not match\./, 'the error is tied to the field (aria-describedby)');
});

test('setting the password redirects to sign-in with a notice', async () => {
  let posted;
  page.on('response', function onResp(r) {
    if (r.request().method() === 'POST') {
      posted = r;
      page.off('response', onResp);
    }
  });
  await setPassword(page, need('INVITE_URL'), PASSWORD);
  assert.ok(posted, 'the form was posted');
  assert.equal(posted.status(), 303);
  assert.equal(locationOf(posted.headers().location), '/login?welcome=1');
  assert.equal(pathOf(page), '/login?welcome=1');
  await page.getByText('Your password is set. Sign in to continue.').waitFor();
  assert.equal(await page.locator('h1').innerText(), 'Sign in');
});

test('the invitation link works only once', async () => {
  await page.goto(need('INVITE_URL'));
  await page.getByText('This invitation link is no longer valid.').waitFor();
  assert.equal(await page.locator('input[name="password"]').count(), 0, 'no password form');
});

test('the client signs in and lands on Billing & Payments', async () => {
  let posted;
  page.on('response', function onResp(r) {
    if (r.request().method() === 'POST') {
      posted = r;
      page.off('response', onResp);
    }
  });
  await signIn(page, need('CLIENT_EMAIL'), PASSWORD);
  assert.ok(posted, 'the form was posted');
  assert.equal(posted.status(), 303);
  assert.equal(locationOf(posted.headers().location), '/billing');
  assert.equal(pathOf(page), '/billing');
  assert.equal(await page.locator('h1').innerText(), 'Billing & Payments');

  const cookies = await browser.context.cookies(url('/'));
  const s = cookies.find((x) => x.name === '__Host-portal_session');
  assert.ok(s, 'session cookie set');
  assert.equal(s.secure, true);
  assert.equal(s.httpOnly, true);
  assert.equal(s.sameSite, 'Lax');
  assert.equal(s.path, '/');
  assert.ok(s.value.length >= 32, 'session token is long');

  const nav = [
    ['Documents', '/documents'],
    ['Billing & Payments', '/billing'],
    ['Payment Methods', '/billing/payment-methods'],
    ['Billing Documents', '/billing/documents'],
    ['Payment History', '/billing/history'],
  ];
  for (const [name, href] of nav) {
    const link = page.getByRole('link', { name, exact: true });
    assert.ok((await link.count()) >= 1, `navigation link "${name}"`);
    assert.equal(new URL(await link.first().getAttribute('href'), url('/')).pathname, href, `"${name}" goes to ${href}`);
  }
  const signOut = page.getByRole('button', { name: 'Sign out' });
  assert.equal(await signOut.count(), 1, 'a Sign out button');
  const form = page.locator('form', { has: signOut });
  assert.equal(await form.getAttribute('action'), '/logout');
  assert.equal((await form.getAttribute('method')).toLowerCase(), 'post');
  assert.equal(await form.locator('input[type="hidden"][name="csrf"]').count(), 1);
});

test('signing out ends the session', async () => {
  const before = (await browser.context.cookies(url('/'))).find((x) => x.name === '__Host-portal_session');
  await page.goto(url('/billing'));
  assert.equal(pathOf(page), '/billing', 'still signed in before signing out');
  await Promise.all([
    page.waitForNavigation(),
    page.getByRole('button', { name: 'Sign out' }).click(),
  ]);
  assert.match(pathOf(page), /^\/login/);
  await page.getByText('You have signed out.').waitFor();
  await page.goto(url('/billing'));
  assert.match(pathOf(page), /^\/login/, '/billing sends a signed-out client to sign-in');
  assert.equal(await page.locator('h1').innerText(), 'Sign in');

  // The old token must be dead on the server too, not only dropped by the browser.
  if (before) {
    const r = await fetch(url('/billing'), {
      redirect: 'manual',
      headers: { cookie: `${before.name}=${before.value}` },
    });
    assert.equal(r.status, 303, 'the old session token no longer opens /billing');
  }
});

test('the pages raised no script error or CSP violation', async () => {
  assert.deepEqual(browser.context.pageErrors, []);
});
