// check-tokenizer.mjs: TAP browser test of the sandbox tokenizer in headless
// Chromium (playwright-core from $NODE_MODULES): a stand-in portal page on
// one origin mounts the simulator's tokenizer (another origin); the card is
// typed into the simulator's iframe, the page gets a token by postMessage
// and posts only that token to its own server, which never sees the number.
import { spawn } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const modules = process.env.NODE_MODULES || path.join(here, '..', 'e2e', 'node_modules');
const CARD_RE = /4242\s?4242\s?4242\s?4242|4000\s?0000\s?0000\s?0002/;
let n = 0;
let failed = 0;
let sim;
let portal;
let browser;
let profile;

function ok(cond, name, detail) {
  n += 1;
  if (!cond) failed += 1;
  console.log(`${cond ? 'ok' : 'not ok'} ${n} - ${name}`);
  if (!cond && detail !== undefined) console.log(`# ${String(detail).slice(0, 400)}`);
}

function startSim() {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(here, 'sandbox-sim.mjs'), '--port', '0'],
                        { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    child.stderr.on('data', (d) => { log += d; });
    child.stdout.on('data', (d) => {
      const m = String(d).match(/listening (\d+)/);
      if (m) resolve({ child, base: `http://127.0.0.1:${m[1]}`, log: () => log });
    });
    child.on('exit', (c) => reject(new Error(`simulator exited ${c}`)));
    setTimeout(() => reject(new Error('simulator did not start')), 5000);
  });
}

// The stand-in portal: a page with the widget, and /save that records what
// the page posts.
function startPortal(simBase) {
  const received = [];
  const page = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Pay</title>
<script src="${simBase}/tokenizer.js"></script></head><body>
<div id="card"></div><button id="save" type="button">Save Credit Card</button>
<p id="result"></p><script src="/pay.js"></script></body></html>`;
  const js = `var w = SandboxTokenizer.mount(document.getElementById('card'), { publishableKey: 'pk_test_sandbox' });
document.getElementById('save').addEventListener('click', function () {
  w.tokenize().then(function (t) {
    return fetch('/save', { method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: t.token, brand: t.card.brand, last4: t.card.last4 }) })
      .then(function () { document.getElementById('result').textContent = 'saved ' + t.token + ' ' + t.card.last4; });
  }, function (e) { document.getElementById('result').textContent = 'error: ' + e.message; });
});`;
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      received.push(`${req.method} ${req.url} ${body}`);
      if (req.url === '/pay.html') { res.writeHead(200, { 'content-type': 'text/html' }); res.end(page); }
      else if (req.url === '/pay.js') { res.writeHead(200, { 'content-type': 'text/javascript' }); res.end(js); }
      else if (req.url === '/save') { res.writeHead(204); res.end(); }
      else { res.writeHead(404); res.end(); }
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () =>
    resolve({ server, base: `http://127.0.0.1:${server.address().port}`, received })));
}

async function main() {
  const { chromium } = await import(pathToFileURL(path.join(modules, 'playwright-core', 'index.mjs')).href);
  sim = await startSim();
  portal = await startPortal(sim.base);
  profile = mkdtempSync(path.join(tmpdir(), 'portal-sim-chromium-'));
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  });
  browser.setDefaultTimeout(15000);
  const page = browser.pages()[0] || (await browser.newPage());
  const portalPosts = [];
  page.on('request', (r) => {
    if (r.url().startsWith(portal.base)) portalPosts.push(`${r.url()} ${r.postData() ?? ''}`);
  });
  await page.goto(`${portal.base}/pay.html`);
  const frame = page.frameLocator('iframe');
  await frame.locator('#card-number').fill('4242 4242 4242 4242');
  await frame.locator('#card-exp').fill('12/34');
  await frame.locator('#card-cvc').fill('123');
  await frame.locator('#card-postal').fill('12345');
  ok(await frame.locator('label[for="card-number"]').count() === 1, 'the card form in the frame has labelled fields');
  await page.click('#save');
  await page.waitForFunction(() => document.getElementById('result').textContent !== '');
  const result = await page.textContent('#result');
  ok(/^saved tok_[0-9a-f]+ 4242$/.test(result), 'the page gets a token and the last 4 from the frame', result);
  const save = portal.received.find((l) => l.startsWith('POST /save'));
  ok(save && /"token":"tok_/.test(save) && !CARD_RE.test(save), 'the portal receives the token, not the card number', save);
  ok(portalPosts.length > 0 && portalPosts.every((l) => !CARD_RE.test(l)) && portal.received.every((l) => !CARD_RE.test(l)),
     'no request to the portal origin carries the card number');
  const iframeSrc = await page.getAttribute('iframe', 'src');
  ok(iframeSrc.startsWith(`${sim.base}/tokenizer/frame`), 'the card form is served from the simulator origin', iframeSrc);

  // A token is usable once server-side: charge it through the API.
  const tok = result.split(' ')[1];
  const r = await fetch(`${sim.base}/v1/charges`, {
    method: 'POST',
    headers: { authorization: 'Bearer sk_test_sandbox', 'content-type': 'application/json', 'idempotency-key': 'browser-1' },
    body: JSON.stringify({ amount: 12000, currency: 'usd', token: tok }),
  });
  ok(r.status === 200 && (await r.json()).status === 'succeeded', 'the browser token charges $120.00 at the simulator');

  // A bad number: the frame says so and the page's promise is rejected.
  await frame.locator('#card-number').fill('4242 4242 4242 4241');
  await page.evaluate(() => { document.getElementById('result').textContent = ''; });
  await page.click('#save');
  await page.waitForFunction(() => document.getElementById('result').textContent !== '');
  const err = await page.textContent('#result');
  const frameErr = await frame.locator('#card-error').textContent();
  ok(err === 'error: Your card number is incorrect.' && frameErr === 'Your card number is incorrect.',
     'a bad number shows the error in the frame and rejects tokenize()', `${err} / ${frameErr}`);
  ok(!CARD_RE.test(sim.log()) && !/4242\s?4242\s?4242\s?4241/.test(sim.log()), 'the simulator log has no card number');
}

main().catch((e) => {
  ok(false, `the browser test ran to the end: ${e.message}`);
}).finally(async () => {
  if (browser) await browser.close().catch(() => {});
  if (profile) rmSync(profile, { recursive: true, force: true });
  if (portal) portal.server.close();
  if (sim) sim.child.kill('SIGTERM');
  console.log(`1..${n}`);
  process.exitCode = failed > 0 ? 1 : 0;
});
