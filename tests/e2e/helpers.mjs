// helpers.mjs: shared set-up of the browser end-to-end tests (environment, Chromium, sign-in steps).
//
// The tests run under tests/e2e/run.sh, which starts a private stack and
// exports:
//   STACK_URL        http://127.0.0.1:PORT of the stack's nginx
//   STACK_DIR        the stack's directory (logs in STACK_DIR/log)
//   INVITE_URL       invitation link of a fresh client (main flow)
//   CLIENT_EMAIL     that client's email
//   INVITE_URL_2     invitation link of a second client (throttle test)
//   CLIENT2_EMAIL    its email
//   DEMO_EMAIL       the demo client made by `portalctl demo seed`
//   DEMO_PASSWORD    its password
//   CHROMIUM         browser binary (default /usr/bin/chromium)

import { chromium } from 'playwright-core';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** need(name): the value of environment variable name; throws if unset. */
export function need(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the browser tests through tests/e2e/run.sh`);
  return v;
}

export const STACK_URL = () => need('STACK_URL').replace(/\/$/, '');

/** url(path): absolute URL of path on the stack. */
export function url(path) {
  return STACK_URL() + path;
}

const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
  '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--disable-quic',
];

/**
 * launch(options): a new headless Chromium with a fresh profile directory.
 * options are passed to launchPersistentContext (e.g. viewport). Returns
 * { context, page, close } where close() shuts the browser and removes the
 * profile. Every console error and uncaught page error is collected in
 * context.pageErrors, every CSP violation of any frame in
 * context.cspViolations.
 */
export async function launch(options = {}) {
  const profile = mkdtempSync(join(tmpdir(), 'portal-e2e-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 900 },
    ...options,
  });
  context.setDefaultTimeout(15000);
  context.setDefaultNavigationTimeout(15000);
  context.pageErrors = [];
  // Every Content-Security-Policy violation of any frame (the page and
  // the processor's iframes), as "directive blocked-uri".
  context.cspViolations = [];
  await context.exposeBinding('__portalCspViolation', (src, v) => { context.cspViolations.push(v); });
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      if (window.__portalCspViolation) window.__portalCspViolation(`${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  const page = context.pages()[0] || (await context.newPage());
  page.on('pageerror', (e) => context.pageErrors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error') context.pageErrors.push(m.text());
  });
  return {
    context,
    page,
    async close() {
      await context.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** pathOf(page): the path (with query) the page is on now. */
export function pathOf(page) {
  const u = new URL(page.url());
  return u.pathname + u.search;
}

/**
 * signIn(page, email, password): fills and submits the sign-in form at
 * /login through its labels; resolves with the response of the POST's final
 * page (after redirects) once it has loaded.
 */
export async function signIn(page, email, password) {
  await page.goto(url('/login'));
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  const [resp] = await Promise.all([
    page.waitForNavigation(),
    page.getByRole('button', { name: 'Sign in' }).click(),
  ]);
  return resp;
}

/**
 * setPassword(page, inviteUrl, password, confirm): opens the invitation
 * link, fills both fields and submits; resolves with the final response.
 */
export async function setPassword(page, inviteUrl, password, confirm = password) {
  await page.goto(inviteUrl);
  await page.getByLabel('New password', { exact: true }).fill(password);
  await page.getByLabel('Confirm new password', { exact: true }).fill(confirm);
  const [resp] = await Promise.all([
    page.waitForNavigation(),
    page.getByRole('button', { name: 'Set password' }).click(),
  ]);
  return resp;
}

/** locationOf(value): path and query a Location header value points at
 * (absolute or relative), or null when there is none. */
export function locationOf(value) {
  if (!value) return null;
  const u = new URL(value, STACK_URL() + '/');
  return u.pathname + u.search;
}

/** fetchRaw(path, init): fetch() on the stack without following redirects. */
export function fetchRaw(path, init = {}) {
  return fetch(url(path), { redirect: 'manual', ...init });
}

/**
 * describedBy(page, label): texts of the elements the field labelled label
 * points at with aria-describedby (its help and error text), joined by
 * newlines, and whether it is marked aria-invalid.
 */
export async function describedBy(page, label) {
  const field = page.getByLabel(label, { exact: true });
  const ids = ((await field.getAttribute('aria-describedby')) || '').split(/\s+/).filter(Boolean);
  const texts = [];
  for (const id of ids) {
    const el = page.locator(`[id="${id}"]`);
    if (await el.count()) texts.push(await el.innerText());
  }
  return { text: texts.join('\n'), invalid: (await field.getAttribute('aria-invalid')) === 'true' };
}

/** alertText(page): text of all role="alert" elements, joined. */
export async function alertText(page) {
  const alerts = page.getByRole('alert');
  const n = await alerts.count();
  const texts = [];
  for (let i = 0; i < n; i++) texts.push(await alerts.nth(i).innerText());
  return texts.join('\n');
}

// ---- Cards and payments (billing tests) ----
// run.sh also exports SIM_URL (the sandbox processor simulator), PORTALCTL,
// PORTAL_CONFIG, PORTAL_DB_SOCKET and STACK_PORTALD_PID.

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

/** portalctl(...args): runs portalctl on the stack; returns its stdout. */
export function portalctl(...args) {
  try {
    return execFileSync(need('PORTALCTL'), ['-c', need('PORTAL_CONFIG'), ...args],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    throw new Error(`portalctl ${args.join(' ')} failed: ${e.stderr || e.message}`);
  }
}

/**
 * newClient(practice, invoices): a new client of practice (a slug), made
 * with `portalctl client create` (so without the demo data), with one
 * invoice per entry of invoices ({date, description, amount: "120.00"}; date is both the issue date
 * and the date of service).
 * Returns {email, password, invite}; signInNew() sets the password through
 * the invitation and signs in.
 */
export function newClient(practice = 'demo', invoices = []) {
  const tag = randomBytes(5).toString('hex');
  const email = `e2e-${tag}@example.com`;
  const password = `e2e password ${tag}`;
  const out = portalctl('client', 'create', '--practice', practice, '--email', email,
    '--first', 'Test', '--last', `Client ${tag}`);
  const invite = (out.match(/^https?:\/\/\S+\/invite\/\S+$/m) || [])[0];
  if (!invite) throw new Error(`no invitation link in: ${out}`);
  for (const inv of invoices) {
    portalctl('invoice', 'create', '--practice', practice, '--email', email,
      '--issued', inv.date, '--line', `${inv.date}|${inv.description}|${inv.amount}`);
  }
  return { email, password, invite };
}

/** signInNew(page, client): sets client's password through its invitation
 * link, then signs in; the page ends on /billing. */
export async function signInNew(page, client) {
  await setPassword(page, client.invite, client.password);
  return signIn(page, client.email, client.password);
}

/** ledger(): the simulator's charges, oldest first. */
export async function ledger() {
  const r = await fetch(need('SIM_URL') + '/__admin/ledger');
  if (!r.ok) throw new Error(`ledger: HTTP ${r.status}`);
  return (await r.json()).charges;
}

/** fillCard(page, number): types a test card into the processor's iframe. */
export async function fillCard(page, number) {
  const frame = page.frameLocator('.card-widget iframe');
  await frame.locator('#card-number').fill(number);
  await frame.locator('#card-exp').fill('12/34');
  await frame.locator('#card-cvc').fill('123');
  await frame.locator('#card-postal').fill('12345');
}

/** submitAndWait(page, button): clicks button (a locator) and waits for
 * the next page; resolves with the response of that navigation. */
export async function submitAndWait(page, button) {
  const [resp] = await Promise.all([page.waitForNavigation(), button.click()]);
  return resp;
}

/**
 * setGateway(lines): replaces the demo practice's gateway: block of the
 * stack's YAML with lines ("plugin: stripe", ...) and sends portald
 * SIGHUP; providerAfterReload(page, plugin) then waits for the card page
 * to use it.
 */
export function setGateway(lines) {
  const file = `${need('STACK_DIR')}/clinicians/demo.yaml`;
  const yaml = readFileSync(file, 'utf8');
  const gw = yaml.indexOf('\ngateway:');
  if (gw < 0) throw new Error('demo.yaml has no gateway: block');
  let end = yaml.slice(gw + 1).search(/\n(?![ \t]|#|\n)/);
  end = end < 0 ? yaml.length : gw + 1 + end;
  writeFileSync(file, yaml.slice(0, gw) + ['\ngateway:', ...lines.map((l) => `  ${l}`)].join('\n') + yaml.slice(end));
  process.kill(Number(need('STACK_PORTALD_PID')), 'SIGHUP');
}

/** providerAfterReload(page, want): true once the card page uses plugin want. */
export async function providerAfterReload(page, want) {
  for (let i = 0; i < 60; i++) {
    await page.goto(url('/billing/payment-methods/new'));
    const w = page.locator('[data-card-widget]');
    if ((await w.count()) > 0 && (await w.getAttribute('data-provider')) === want) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

/** cents("$1,234.50"): 123450. */
export function cents(text) {
  const m = String(text).replace(/[,\s]/g, '').match(/(\d+)\.(\d\d)/);
  if (!m) throw new Error(`no amount in "${text}"`);
  return Number(m[1]) * 100 + Number(m[2]);
}

/** ownErrors(context): every page error and CSP violation seen. */
export function ownErrors(context) {
  return context.pageErrors;
}
