// docs.test.mjs: Billing Documents and Payment History in the browser: every invoice listed without sharing, an unshared statement not, Download (a PDF arrives), Print (the print page calls window.print, stubbed here; print CSS drops the navigation), the date range (filter, inverted range message) and Download CSV.
import test, { afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { launch, url, pathOf, signInNew, newClient, portalctl, alertText } from './helpers.mjs';

let open = [];
afterEach(async () => {
  for (const b of open) await b.close();
  open = [];
});

/** day(n): the date n days from today in the demo practice's time zone
 * (America/New_York), YYYY-MM-DD: the portal dates everything there. */
function day(n) {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'America/New_York' })
    .format(new Date(Date.now() + n * 86400000));
}

/**
 * session(): a new client with two invoices (40 and 5 days ago), never
 * shared (invoices need no sharing), a shared statement of the last 60
 * days and an unshared one of the last 30; signed in, with window.print
 * stubbed in every page (it counts calls in window.__printCalls).
 * Returns {page, context, client, inv, st, unshared}.
 */
async function session() {
  const client = newClient('demo', [
    { date: day(-40), description: 'Individual therapy session (50 min)', amount: '120.00' },
    { date: day(-5), description: 'Family therapy session (50 min)', amount: '150.00' },
  ]);
  const inv = portalctl('invoice', 'list', '--practice', 'demo', '--email', client.email)
    .match(/INV-\d+/g);
  assert.equal(inv.length, 2, 'two invoices');
  const st = portalctl('statement', 'create', '--practice', 'demo', '--email', client.email,
    '--from', day(-60), '--to', day(0)).match(/ST-\d+/)[0];
  portalctl('document', 'share', '--practice', 'demo', '--number', st);
  const unshared = portalctl('statement', 'create', '--practice', 'demo', '--email', client.email,
    '--from', day(-30), '--to', day(0)).match(/ST-\d+/)[0];
  const b = await launch({ acceptDownloads: true });
  open.push(b);
  await b.context.addInitScript(() => {
    window.__printCalls = 0;
    window.print = () => { window.__printCalls += 1; };
  });
  await signInNew(b.page, client);
  return { page: b.page, context: b.context, client, inv: inv.sort(), st, unshared };
}

/** row(page, number): the Billing Documents row of document number. */
function row(page, number) {
  return page.locator(`tr[data-number="${number}"]`);
}

test('Billing Documents lists every invoice (never shared) and the shared statement, not the unshared one; Download gives a PDF', async () => {
  const { page, context, inv, st, unshared } = await session();
  await page.goto(url('/billing'));
  await page.getByRole('link', { name: 'Billing Documents' }).click();
  assert.equal(pathOf(page), '/billing/documents');
  assert.match(await page.locator('main').innerText(),
    /In addition to invoices, you'll see any statements and superbills your clinician has shared with you\./);
  for (const n of [...inv, st]) assert.equal(await row(page, n).count(), 1, `${n} listed`);
  assert.equal(await row(page, unshared).count(), 0, `unshared ${unshared} not listed`);
  for (const k of ['pdf', 'print']) {
    const resp = await page.request.get(url(`/billing/documents/${unshared}/${k}`));
    assert.equal(resp.status(), 404, `unshared ${unshared}/${k}`);
  }
  assert.match(await row(page, inv[0]).innerText(), /\$120\.00[\s\S]*Unpaid/);
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: `Download Invoice ${inv[0]}` }).click(),
  ]);
  assert.equal(download.suggestedFilename(), `invoice-${inv[0]}.pdf`);
  const file = await download.path();
  const bytes = readFileSync(file);
  assert.equal(bytes.subarray(0, 5).toString(), '%PDF-');
  assert.ok(bytes.length > 1000, 'a real PDF');
  assert.deepEqual(context.pageErrors, []);
});

test('Print of a never-shared invoice opens its print page, which calls window.print', async () => {
  const { page, context, inv } = await session();
  await page.goto(url('/billing/documents'));
  await Promise.all([
    page.waitForNavigation(),
    page.getByRole('link', { name: `Print Invoice ${inv[1]}` }).click(),
  ]);
  assert.equal(pathOf(page), `/billing/documents/${inv[1]}/print`);
  await page.waitForFunction(() => window.__printCalls >= 1);
  assert.match(await page.getByRole('heading', { level: 1 }).innerText(), new RegExp(`Invoice ${inv[1]}`));
  assert.match(await page.locator('article').innerText(), /\$150\.00/);
  assert.deepEqual(context.pageErrors, []);
});

test('Print opens the print page, which calls window.print; print CSS hides the navigation', async () => {
  const { page, context, st } = await session();
  await page.goto(url('/billing/documents'));
  await Promise.all([
    page.waitForNavigation(),
    page.getByRole('link', { name: `Print Statement ${st}` }).click(),
  ]);
  assert.equal(pathOf(page), `/billing/documents/${st}/print`);
  await page.waitForFunction(() => window.__printCalls >= 1);
  assert.match(await page.getByRole('heading', { level: 1 }).innerText(), new RegExp(`Statement ${st}`));
  assert.match(await page.locator('article').innerText(), /Ending balance\s*\$270\.00/);
  // The Print button prints again.
  await page.getByRole('button', { name: 'Print' }).click();
  await page.waitForFunction(() => window.__printCalls >= 2);
  assert.equal(new URL(page.url()).hash, '', 'the #print request is spent: a reload only shows the page');
  await page.emulateMedia({ media: 'print' });
  assert.equal(await page.locator('nav.tabs').isVisible(), false, 'tabs hidden in print');
  assert.equal(await page.locator('nav.subtabs').isVisible(), false, 'sub-tabs hidden in print');
  assert.equal(await page.getByRole('button', { name: 'Print' }).isVisible(), false);
  assert.equal(await page.locator('article').isVisible(), true, 'the document prints');
  await page.emulateMedia({ media: 'screen' });
  assert.equal(await page.locator('nav.tabs').isVisible(), true);
  assert.deepEqual(context.pageErrors, []);
});

test('a plain view of the print page (a bookmark, a reload) does not open the print dialog', async () => {
  const { page, context, st } = await session();
  await page.goto(url(`/billing/documents/${st}/print`));
  assert.equal(await page.evaluate(() => window.__printCalls), 0, 'no print dialog on a plain view');
  await page.reload();
  assert.equal(await page.evaluate(() => window.__printCalls), 0, 'nor on a reload');
  await page.getByRole('button', { name: 'Print' }).click();
  assert.equal(await page.evaluate(() => window.__printCalls), 1, 'the Print button prints');
  assert.deepEqual(context.pageErrors, []);
});

test('Payment History filters by the date range and explains an inverted range', async () => {
  const { page, context, inv } = await session();
  await page.goto(url('/billing'));
  await page.getByRole('link', { name: 'Payment History' }).click();
  assert.equal(pathOf(page), '/billing/history');
  // The default range (the last 12 months) is on the page and holds both.
  assert.equal(await page.getByLabel('To', { exact: true }).inputValue(), day(0));
  const table = page.locator('table.history');
  for (const n of inv) assert.match(await table.innerText(), new RegExp(n));
  assert.match(await page.locator('#total-invoiced').innerText(), /\$270\.00/);
  // Only the last 10 days: the newer invoice alone.
  await page.getByLabel('From', { exact: true }).fill(day(-10));
  await page.getByLabel('To', { exact: true }).fill(day(0));
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Show' }).click()]);
  assert.equal(pathOf(page), `/billing/history?from=${day(-10)}&to=${day(0)}`);
  const text = await table.innerText();
  assert.match(text, new RegExp(inv[1]));
  assert.doesNotMatch(text, new RegExp(inv[0]));
  assert.match(await page.locator('#total-invoiced').innerText(), /\$150\.00/);
  // Inverted: a message on the page, the form kept with what was typed.
  await page.getByLabel('From', { exact: true }).fill(day(0));
  await page.getByLabel('To', { exact: true }).fill(day(-30));
  const [resp] = await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Show' }).click()]);
  assert.equal(resp.status(), 200);
  assert.match(await alertText(page), /start date .* is after the end date/);
  assert.equal(await page.getByLabel('From', { exact: true }).getAttribute('aria-invalid'), 'true');
  assert.equal(await page.getByLabel('From', { exact: true }).inputValue(), day(0));
  assert.equal(await page.locator('table.history').count(), 0);
  assert.deepEqual(context.pageErrors, []);
});

test('Download CSV gives the range as a CSV file', async () => {
  const { page, inv } = await session();
  await page.goto(url(`/billing/history?from=${day(-50)}&to=${day(-20)}`));
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Download CSV' }).click(),
  ]);
  assert.equal(download.suggestedFilename(), `payment-history-${day(-50)}-to-${day(-20)}.csv`);
  const csv = readFileSync(await download.path(), 'utf8');
  const lines = csv.trim().split('\r\n');
  assert.equal(lines[0], 'Date,Type,Number,Description,Amount (USD),Balance due (USD)');
  assert.equal(lines.length, 2, csv);
  assert.equal(lines[1], `${day(-40)},Invoice,${inv[0]},Individual therapy session (50 min),120.00,120.00`);
});

test("another client's document is not found", async () => {
  const a = await session();
  const other = newClient('demo', [{ date: day(-3), description: 'Session', amount: '99.00' }]);
  const n = portalctl('invoice', 'list', '--practice', 'demo', '--email', other.email).match(/INV-\d+/)[0];
  for (const k of ['pdf', 'print']) {
    const resp = await a.page.goto(url(`/billing/documents/${n}/${k}`));
    assert.equal(resp.status(), 404, `${n}/${k}`);
  }
});
