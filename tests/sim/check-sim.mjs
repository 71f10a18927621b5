// check-sim.mjs: TAP tests of the sandbox processor simulator itself
// (sandbox-sim.mjs): tokenizer pages, keys, test cards, Stripe-like
// idempotency (replay, 400 on other parameters, 409 in flight, stored 5xx),
// fault knobs from the admin endpoint and the command line, signed webhook
// delivery, the ledger, and no card number in its log. Starts its own
// simulators on free ports and stops only those.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const SIM = path.join(path.dirname(fileURLToPath(import.meta.url)), 'sandbox-sim.mjs');
const SK = 'sk_test_check';
const WH = 'whsec_check';
const children = [];
let n = 0;
let failed = 0;

function ok(cond, name, detail) {
  n += 1;
  if (!cond) failed += 1;
  console.log(`${cond ? 'ok' : 'not ok'} ${n} - ${name}`);
  if (!cond && detail !== undefined) console.log(`# ${JSON.stringify(detail).slice(0, 400)}`);
}

function startSim(extra = []) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SIM, '--port', '0', '--secret-key', SK, '--webhook-secret', WH, ...extra],
                        { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let log = '';
    child.stderr.on('data', (d) => { log += d; });
    child.stdout.on('data', (d) => {
      const m = String(d).match(/listening (\d+)/);
      if (m) resolve({ base: `http://127.0.0.1:${m[1]}`, child, log: () => log });
    });
    child.on('exit', (code) => reject(new Error(`simulator exited ${code}`)));
    setTimeout(() => reject(new Error('simulator did not start')), 5000);
  });
}

async function call(base, method, p, body, { key, auth = SK, signal } = {}) {
  const headers = { 'content-type': 'application/json' };
  if (auth) headers.authorization = `Bearer ${auth}`;
  if (key) headers['idempotency-key'] = key;
  const r = await fetch(base + p, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal });
  const text = await r.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: r.status, headers: r.headers, json, text };
}

const token = async (base, number) => (await call(base, 'POST', '/__test/tokens', { number }, { auth: null })).json.id;
const ledger = async (base) => (await call(base, 'GET', '/__admin/ledger')).json.charges;

async function main() {
  const sim = await startSim();
  const { base } = sim;
  ok(/^http:\/\/127\.0\.0\.1:\d+$/.test(base), 'the simulator listens on a free loopback port and prints it');

  // Tokenizer, from its own origin.
  let r = await fetch(`${base}/tokenizer.js`);
  let t = await r.text();
  ok(r.status === 200 && /javascript/.test(r.headers.get('content-type')) && t.includes('SandboxTokenizer') &&
     t.includes('postMessage'), 'GET /tokenizer.js serves the tokenizer script');
  r = await fetch(`${base}/tokenizer/frame?pk=pk_test_sandbox&parent=http%3A%2F%2F127.0.0.1%3A8080`);
  t = await r.text();
  const csp = r.headers.get('content-security-policy') ?? '';
  ok(r.status === 200 && csp.includes("script-src 'self'") && csp.includes('frame-ancestors') &&
     !/<script>[^<]/.test(t) && t.includes('<label for="card-number">') && t.includes('src="/tokenizer/frame.js"'),
  'the card form frame has labels, no inline script and a CSP', csp);

  r = await call(base, 'POST', '/v1/tokens', { card: { number: '4242 4242 4242 4242', exp_month: 12, exp_year: 2040, cvc: '123' } },
                 { auth: 'pk_test_sandbox' });
  ok(r.status === 200 && /^tok_/.test(r.json.id) && r.json.card.last4 === '4242' && !r.text.includes('4242424242424242'),
     'the frame posts the card with the publishable key and gets a token with last 4 only', r.json);
  r = await call(base, 'POST', '/v1/tokens', { card: { number: '4242424242424242' } }, { auth: SK.replace('check', 'wrong') });
  ok(r.status === 401, 'a wrong publishable key is refused (401)');
  r = await call(base, 'POST', '/v1/tokens', { card: { number: '4242424242424241' } }, { auth: 'pk_test_sandbox' });
  ok(r.status === 402 && r.json.error.code === 'incorrect_number', 'a number failing the Luhn check is refused');
  r = await call(base, 'POST', '/v1/customers', {}, { auth: 'sk_test_wrong' });
  ok(r.status === 401 && r.json.error.code === 'invalid_api_key', 'the API refuses a wrong secret key (401)');

  // Test cards.
  const cus = (await call(base, 'POST', '/v1/customers', { reference: 'c1' })).json.id;
  r = await call(base, 'POST', '/v1/charges', { amount: 1000, currency: 'usd', token: await token(base, '4242424242424242') }, { key: 'ok-1' });
  ok(r.status === 200 && r.json.status === 'succeeded' && r.json.card.last4 === '4242', '4242 4242 4242 4242 succeeds');
  r = await call(base, 'POST', '/v1/charges', { amount: 1000, currency: 'usd', token: await token(base, '4000000000000002') }, { key: 'dec-1' });
  ok(r.status === 402 && r.json.error.code === 'card_declined' && r.json.error.decline_code === 'generic_decline',
     '4000 0000 0000 0002 is declined (generic)', r.json);
  r = await call(base, 'POST', '/v1/charges', { amount: 1000, currency: 'usd', token: await token(base, '4000000000009995') }, { key: 'dec-2' });
  ok(r.status === 402 && r.json.error.decline_code === 'insufficient_funds', '4000 0000 0000 9995 has insufficient funds');
  r = await call(base, 'POST', '/v1/payment_methods', { customer: cus, token: await token(base, '4000000000000341') }, { key: 'pm-341' });
  const pm341 = r.json.id;
  ok(r.status === 200 && /^pm_/.test(pm341), '4000 0000 0000 0341 saves');
  r = await call(base, 'POST', '/v1/charges', { amount: 1000, currency: 'usd', customer: cus, payment_method: pm341 }, { key: 'dec-3' });
  ok(r.status === 402 && r.json.error.code === 'card_declined', '... but its charges fail');
  r = await call(base, 'POST', '/v1/charges', { amount: 1000, currency: 'usd', token: await token(base, '4000002760003184') }, { key: '3ds-1' });
  ok(r.status === 200 && r.json.status === 'requires_action' && r.json.next_action, '4000 0027 6000 3184 on session requires action');
  const pm3ds = (await call(base, 'POST', '/v1/payment_methods', { customer: cus, token: await token(base, '4000002760003184') })).json.id;
  r = await call(base, 'POST', '/v1/charges', { amount: 1000, currency: 'usd', customer: cus, payment_method: pm3ds, off_session: true }, { key: '3ds-2' });
  ok(r.status === 402 && r.json.error.code === 'authentication_required', '... and off session is refused with authentication_required');
  r = await call(base, 'POST', '/v1/charges', { amount: 1000, currency: 'usd', token: (await token(base, '4242424242424242')) }, {});
  ok(r.status === 400 && r.json.error.code === 'idempotency_key_missing', 'a charge without an Idempotency-Key is refused');

  // Idempotency.
  const tok = await token(base, '4242424242424242');
  const first = await call(base, 'POST', '/v1/charges', { amount: 2000, currency: 'usd', token: tok }, { key: 'idem-1' });
  const again = await call(base, 'POST', '/v1/charges', { amount: 2000, currency: 'usd', token: tok }, { key: 'idem-1' });
  ok(again.status === 200 && again.json.id === first.json.id && again.headers.get('idempotent-replayed') === 'true',
     'the same key replays the stored result (Idempotent-Replayed: true)');
  r = await call(base, 'POST', '/v1/charges', { amount: 2500, currency: 'usd', token: tok }, { key: 'idem-1' });
  ok(r.status === 400 && r.json.error.type === 'idempotency_error', 'the same key with other parameters: 400 idempotency_error');
  ok((await ledger(base)).filter((c) => c.idempotency_key === 'idem-1').length === 1, '... and the ledger holds one charge for the key');

  await call(base, 'POST', '/__admin/faults', { latency_ms: 400 });
  const tok2 = await token(base, '4242424242424242');
  const [a, b] = await Promise.all([
    call(base, 'POST', '/v1/charges', { amount: 3000, currency: 'usd', token: tok2 }, { key: 'inflight-1' }),
    new Promise((res) => setTimeout(res, 100)).then(() =>
      call(base, 'POST', '/v1/charges', { amount: 3000, currency: 'usd', token: tok2 }, { key: 'inflight-1' })),
  ]);
  ok(a.status === 200 && b.status === 409 && b.json.error.code === 'idempotency_request_in_progress',
     'the same key while the first request is in flight: 409', [a.status, b.status]);
  await call(base, 'POST', '/__admin/faults', {});

  // Faults.
  await call(base, 'POST', '/__admin/faults', { fail_after_commit: true, count: 1 });
  const tok3 = await token(base, '4242424242424242');
  r = await call(base, 'POST', '/v1/charges', { amount: 4000, currency: 'usd', token: tok3 }, { key: 'f500' });
  const r2 = await call(base, 'POST', '/v1/charges', { amount: 4000, currency: 'usd', token: tok3 }, { key: 'f500' });
  const rec = (await ledger(base)).filter((c) => c.idempotency_key === 'f500');
  ok(r.status === 500 && r2.status === 500 && r2.headers.get('idempotent-replayed') === 'true' && rec.length === 1 &&
     rec[0].status === 'succeeded', '500 after the charge was recorded, replayed for the same key; one charge in the ledger');

  await call(base, 'POST', '/__admin/faults', { rate_limit: true, count: 1 });
  const tok4 = await token(base, '4242424242424242');
  r = await call(base, 'POST', '/v1/charges', { amount: 5000, currency: 'usd', token: tok4 }, { key: 'f429' });
  const after = await call(base, 'POST', '/v1/charges', { amount: 5000, currency: 'usd', token: tok4 }, { key: 'f429' });
  ok(r.status === 429 && r.headers.get('retry-after') === '1' && after.status === 200,
     '429 does nothing (the same key then goes through) and count clears the knob', [r.status, after.status]);

  await call(base, 'POST', '/__admin/faults', { timeout: true, count: 1 });
  const tok5 = await token(base, '4242424242424242');
  let aborted = false;
  try {
    await call(base, 'POST', '/v1/charges', { amount: 6000, currency: 'usd', token: tok5 }, { key: 'ftime', signal: AbortSignal.timeout(300) });
  } catch { aborted = true; }
  r = await call(base, 'POST', '/v1/charges', { amount: 6000, currency: 'usd', token: tok5 }, { key: 'ftime' });
  const byKey = await call(base, 'GET', '/v1/charges?idempotency_key=ftime');
  ok(aborted && r.status === 200 && byKey.json.data.length === 1 && byKey.json.data[0].id === r.json.id,
     'timeout: the charge is recorded, the answer held until the client gives up; lookup by key finds it');

  // Refunds.
  r = await call(base, 'POST', '/v1/refunds', { charge: first.json.id, amount: 500 }, { key: 'ref-1' });
  const over = await call(base, 'POST', '/v1/refunds', { charge: first.json.id, amount: 1600 }, { key: 'ref-2' });
  ok(r.status === 200 && r.json.amount === 500 && over.status === 400 && over.json.error.code === 'amount_too_large',
     'partial refund; refunding more than is left is refused');

  // Signed webhook delivery.
  const got = [];
  const hook = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => { got.push({ sig: req.headers['sandbox-signature'], body }); res.end('ok'); });
  });
  await new Promise((res) => hook.listen(0, '127.0.0.1', res));
  await call(base, 'POST', '/__admin/config', { webhook_url: `http://127.0.0.1:${hook.address().port}/hook` });
  const ch = await call(base, 'POST', '/v1/charges', { amount: 7000, currency: 'usd', token: await token(base, '4242424242424242') }, { key: 'wh-1' });
  for (let i = 0; i < 50 && got.length === 0; i++) await new Promise((res) => setTimeout(res, 20));
  hook.close();
  const ev = got[0];
  let verified = false;
  if (ev) {
    const m = ev.sig.match(/^t=(\d+),v1=([0-9a-f]{64})$/);
    const want = m && crypto.createHmac('sha256', WH).update(`${m[1]}.${ev.body}`).digest('hex');
    verified = Boolean(m) && want === m[2] && JSON.parse(ev.body).data.object.id === ch.json.id &&
      JSON.parse(ev.body).type === 'charge.succeeded';
  }
  ok(verified, 'a charge.succeeded webhook is delivered, signed HMAC-SHA256 over "t.body"', ev);

  // The ledger and the log.
  const all = await ledger(base);
  ok(all.length > 10 && all.every((c) => /^ch_/.test(c.id) && c.idempotency_key) && !/4242424242424242|4000000000000002|4000000000009995|4000000000000341|4000002760003184/.test(JSON.stringify(all)),
     'GET /__admin/ledger lists every charge with its key and no card number');
  const log = sim.log();
  ok(log.includes('POST /v1/charges 200') && !/4242424242424242|4000000000000002|4000000000009995|4000000000000341|4000002760003184/.test(log),
     'the log has a line per request and no card number');

  // Command-line knobs.
  const sim2 = await startSim(['--rate-limit', '--quiet']);
  r = await call(sim2.base, 'POST', '/v1/charges', { amount: 100, currency: 'usd', token: await token(sim2.base, '4242424242424242') }, { key: 'cli' });
  ok(r.status === 429 && sim2.log() === '', '--rate-limit on the command line answers 429; --quiet logs nothing');
}

main().catch((e) => {
  ok(false, `the tests ran to the end: ${e.message}`);
}).finally(() => {
  for (const c of children) c.kill('SIGTERM');
  console.log(`1..${n}`);
  process.exitCode = failed > 0 ? 1 : 0;
});
