// mail.test.mjs: mail a client receives, read out of the SMTP server run.sh
// started (tests/lib/smtp-sink.py on aiosmtpd; one file per message in
// SINK_DIR) after `portalctl mail send`: the invitation followed from the
// message in the browser; "Forgot password?" end to end (one use, one hour,
// the same answer for an unknown address); one receipt after a payment.
import test, { afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  launch, url, pathOf, signIn, setPassword, portalctl, need, alertText, fillCard, submitAndWait,
} from './helpers.mjs';

let open = [];
afterEach(async () => {
  for (const b of open) await b.close();
  open = [];
});
async function browser() {
  const b = await launch();
  open.push(b);
  return b.page;
}

/** received(to): the messages accepted for address to, oldest first, as
 * {subject, text, raw}; runs the sender first. */
function received(to) {
  portalctl('mail', 'send');
  const dir = need('SINK_DIR');
  return readdirSync(dir).filter((f) => f.endsWith('.eml')).sort().map((f) => readFileSync(join(dir, f), 'utf8'))
    .filter((raw) => raw.split('\r\n')[0].toLowerCase() === `x-sink-rcpt: ${to.toLowerCase()}`)
    .map((raw) => ({ raw, subject: (raw.match(/^Subject: (.*)$/m) || [])[1]?.trim() }));
}

/** linkIn(msg, kind): the first link to /kind/TOKEN in the message. */
function linkIn(msg, kind) {
  const m = msg.raw.match(new RegExp(`https?://[^\\s"<>]+/${kind}/[A-Za-z0-9_-]+`));
  assert.ok(m, `no /${kind}/ link in ${msg.subject}`);
  return m[0];
}

/** sql(q): runs q on the stack's database; returns the output. */
function sql(q) {
  return execFileSync('mariadb', ['-S', need('PORTAL_DB_SOCKET'), '-u', 'root', '-N', 'portal', '-e', q],
    { encoding: 'utf8' });
}

function newEmail() {
  return `mail-${randomBytes(4).toString('hex')}@example.com`;
}

test('the invitation arrives by mail and its link sets the password in the browser', async () => {
  const email = newEmail();
  portalctl('client', 'create', '--practice', 'demo', '--email', email, '--first', 'Mae', '--last', 'Jemison');
  const msgs = received(email);
  assert.equal(msgs.length, 1);
  assert.equal(msgs[0].subject, 'Your client portal invitation from Lakeside Counseling');
  assert.match(msgs[0].raw, /Content-Type: text\/plain/);
  assert.match(msgs[0].raw, /Content-Type: text\/html/);
  const link = linkIn(msgs[0], 'invite');
  assert.ok(link.startsWith(url('/invite/')), link);
  const page = await browser();
  await setPassword(page, link, 'mail test password 1');
  assert.equal(pathOf(page), '/login?welcome=1');
  await signIn(page, email, 'mail test password 1');
  assert.equal(pathOf(page), '/billing');
});

/** forgot(page, email): asks for a reset link from the sign-in page;
 * returns the text of the answer. */
async function forgot(page, email) {
  await page.goto(url('/login'));
  await page.getByRole('link', { name: 'Forgot password?' }).click();
  await page.getByLabel('Email', { exact: true }).fill(email);
  await submitAndWait(page, page.getByRole('button', { name: 'Send reset link' }));
  return (await page.locator('main, body').first().innerText()).replaceAll(email.toLowerCase(), 'EMAIL');
}

/** choose(page, link, password): sets a new password through link. */
async function choose(page, link, password) {
  await page.goto(link);
  await page.getByLabel('New password', { exact: true }).fill(password);
  await page.getByLabel('Confirm new password', { exact: true }).fill(password);
  await submitAndWait(page, page.getByRole('button', { name: 'Set password' }));
}

test('Forgot password?: the link works once, for an hour; an unknown address gets the same page', async () => {
  const email = newEmail();
  portalctl('client', 'create', '--practice', 'demo', '--email', email, '--first', 'Kim', '--last', 'Reset');
  const invite = linkIn(received(email)[0], 'invite');
  const page = await browser();
  await setPassword(page, invite, 'the first password 1');

  const known = await forgot(page, email);
  const unknown = await forgot(page, newEmail());
  assert.equal(unknown, known);
  assert.match(known, /If EMAIL has a portal account, we have sent it a link/);
  assert.equal(received(email.replace('mail-', 'nobody-')).length, 0);

  const msgs = received(email).filter((m) => m.subject === 'Reset your Lakeside Counseling portal password');
  assert.equal(msgs.length, 1);
  const link = linkIn(msgs[0], 'reset');
  await choose(page, link, 'the second password 2');
  assert.equal(pathOf(page), '/login?reset=1');
  await signIn(page, email, 'the second password 2');
  assert.equal(pathOf(page), '/billing');
  await page.context().clearCookies();

  // A second use of the same link fails, and changes nothing.
  await page.goto(link);
  assert.match(await alertText(page), /no longer valid/);
  await signIn(page, email, 'the second password 2');
  assert.equal(pathOf(page), '/billing');
  await page.context().clearCookies();

  // An expired link fails: the next one, made an hour and a second old.
  await forgot(page, email);
  const next = received(email).filter((m) => m.subject.startsWith('Reset your'));
  assert.equal(next.length, 2);
  const link2 = linkIn(next[1], 'reset');
  sql(`UPDATE password_resets SET expires_at = UNIX_TIMESTAMP() - 1 WHERE used_at IS NULL`);
  await page.goto(link2);
  assert.match(await alertText(page), /no longer valid/);
  await signIn(page, email, 'the second password 2');
  assert.equal(pathOf(page), '/billing');
});

test('Forgot password? is throttled: past 3 links an hour no more are sent, and the page says the same', async () => {
  const email = newEmail();
  portalctl('client', 'create', '--practice', 'demo', '--email', email, '--first', 'Tia', '--last', 'Throttle');
  const page = await browser();
  const answers = [];
  for (let i = 0; i < 5; i++) answers.push(await forgot(page, email));
  assert.equal(new Set(answers).size, 1, 'the same page every time');
  const links = received(email).filter((m) => m.subject.startsWith('Reset your'));
  assert.equal(links.length, 3);
});

test('after a payment the client has one receipt by mail', async () => {
  const email = newEmail();
  portalctl('client', 'create', '--practice', 'demo', '--email', email, '--first', 'Ray', '--last', 'Receipt');
  portalctl('invoice', 'create', '--practice', 'demo', '--email', email,
    '--issued', '2026-02-01', '--line', '2026-02-01|Individual therapy session|80.00');
  const invite = linkIn(received(email)[0], 'invite');
  const page = await browser();
  await setPassword(page, invite, 'the receipt password 1');
  await signIn(page, email, 'the receipt password 1');
  await page.goto(url('/billing'));
  await submitAndWait(page, page.getByRole('link', { name: 'Pay Now', exact: true }));
  await fillCard(page, '4242 4242 4242 4242');
  await submitAndWait(page, page.getByRole('button', { name: 'Pay $80.00', exact: true }));
  assert.equal(await page.locator('h1').innerText(), 'Payment received');
  const receipts = received(email).filter((m) => /^Receipt RCT-\d+ from Lakeside Counseling$/.test(m.subject));
  assert.equal(receipts.length, 1);
  assert.match(receipts[0].raw, /received your payment of \$80\.00/);
  assert.doesNotMatch(receipts[0].raw, /4242 ?4242/);
  // Sending again sends nothing more.
  assert.equal(received(email).filter((m) => m.subject.startsWith('Receipt')).length, 1);
});
