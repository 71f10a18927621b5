// sdk-signatures.mjs: cross-checks the Stripe and Square plugins' webhook
// signature verification against the processors' official Node SDKs, and
// the simulators' signing against the SDKs, printing TAP.
//
//   PGW_WEBHOOK=.../pgw-webhook STRIPE_PLUGIN=/abs/stripe.so
//   SQUARE_PLUGIN=/abs/square.so PROCS_NODE_MODULES=.../node_modules
//   top_srcdir=... node sdk-signatures.mjs
//
// Stripe: stripe.webhooks.generateTestHeaderString makes the header; the
// plugin must accept it, and refuse a changed body, a wrong secret or a
// stale timestamp exactly where stripe.webhooks.constructEvent does.
// Square: WebhooksHelper.verifySignature and the plugin must agree, both
// ways, on valid and invalid signatures.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import crypto from 'node:crypto';

const env = process.env;
for (const k of ['PGW_WEBHOOK', 'STRIPE_PLUGIN', 'SQUARE_PLUGIN', 'PROCS_NODE_MODULES', 'top_srcdir'])
  if (!env[k]) { console.log(`1..0 # SKIP not reached\nBail out! ${k} is not set`); process.exit(1); }
const require = createRequire(join(env.PROCS_NODE_MODULES, '..', 'sdk-signatures.cjs'));
let Stripe, WebhooksHelper;
try {
  Stripe = require('stripe');
  ({ WebhooksHelper } = require('square'));
} catch (e) {
  console.log(`1..0 # SKIP not reached\nBail out! the SDKs are not installed in ${env.PROCS_NODE_MODULES} ` +
              `(npm ci in tests/procs): ${e.message}`);
  process.exit(1);
}
const stripe = Stripe('sk_test_sdkcheck');

const tmp = mkdtempSync(join(tmpdir(), 'portal-sdk-'));
const sims = [];
let n = 0;
let failed = 0;
function ok(cond, name, diag) {
  n++;
  if (!cond) failed++;
  console.log(`${cond ? 'ok' : 'not ok'} ${n} - ${name}`);
  if (!cond && diag) console.log(`# ${String(diag).replace(/\n/g, '\n# ')}`);
}
function secretFile(name, value) {
  const p = join(tmp, name);
  writeFileSync(p, `${value}\n`, { mode: 0o600 });
  return p;
}

const rnd = () => crypto.randomBytes(12).toString('hex');
const STRIPE_SECRET = `whsec_${rnd()}`;
const SQUARE_KEY = `sigkey_${rnd()}`;
const SQUARE_URL = 'https://portal.example.org/webhooks/demo/square';
const files = {
  sk: secretFile('sk', `sk_test_${rnd()}`), whsec: secretFile('whsec', STRIPE_SECRET),
  sqtok: secretFile('sqtok', `EAAA${rnd()}`), sqkey: secretFile('sqkey', SQUARE_KEY),
  sqkey2: secretFile('sqkey2', `${SQUARE_KEY}x`),
};

// Runs one webhook through a plugin: {verified, line}.
function plugin(proc, headers, body, override = {}) {
  const conf = proc === 'stripe'
    ? { api_base: 'http://127.0.0.1:9', secret_key_file: files.sk, publishable_key: 'pk_test_sdkcheck',
        webhook_secret_file: files.whsec }
    : { api_base: 'http://127.0.0.1:9', access_token_file: files.sqtok, application_id: 'sandbox-sq0idb-sdkcheck',
        location_id: 'LSDKCHECK', webhook_signature_key_file: files.sqkey, webhook_notification_url: SQUARE_URL };
  Object.assign(conf, override);
  const hf = join(tmp, 'headers');
  const bf = join(tmp, 'body');
  writeFileSync(hf, Object.entries(headers).map(([k, v]) => `${k}: ${v}\n`).join(''));
  writeFileSync(bf, body);
  const args = ['--plugin', proc === 'stripe' ? env.STRIPE_PLUGIN : env.SQUARE_PLUGIN, '--headers', hf, '--body', bf];
  for (const [k, v] of Object.entries(conf)) args.push('--config', `${k}=${v}`);
  const r = spawnSync(env.PGW_WEBHOOK, args, { encoding: 'utf8' });
  if (r.status !== 0 && r.status !== 1) throw new Error(`pgw-webhook: status ${r.status}: ${r.stderr}`);
  return { verified: r.status === 0, line: r.stdout.trim(), field: (k) => (r.stdout.match(new RegExp(`${k}=(\\S*)`)) ?? [])[1] };
}

function stripeSdkAccepts(body, header, secret = STRIPE_SECRET) {
  try {
    stripe.webhooks.constructEvent(body, header, secret);
    return true;
  } catch {
    return false;
  }
}

async function startSim(file, args) {
  const child = spawn(process.execPath, [join(env.top_srcdir, 'tests/sim', file), '--port', '0', '--quiet', ...args],
                      { stdio: ['ignore', 'pipe', 'inherit'] });
  sims.push(child);
  const port = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/listening (\d+)/);
      if (m) resolve(Number(m[1]));
    });
    child.on('exit', () => reject(new Error(`${file} exited`)));
  });
  return `http://127.0.0.1:${port}`;
}
async function post(base, path, body, headers = {}) {
  const r = await fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers },
                                       body: JSON.stringify(body) });
  return r.json();
}

function stripeEvent(type, object) {
  return JSON.stringify({ id: `evt_${rnd()}`, object: 'event', api_version: '2024-06-20', type,
                          created: Math.floor(Date.now() / 1000), livemode: false, pending_webhooks: 1,
                          request: { id: null, idempotency_key: null }, data: { object } }, null, 2);
}

async function stripeChecks() {
  const pi = { id: `pi_${rnd()}`, object: 'payment_intent', amount: 12000, currency: 'usd', status: 'succeeded',
               metadata: { idempotency_key: 'k1' } };
  const body = stripeEvent('payment_intent.succeeded', pi);
  const now = Math.floor(Date.now() / 1000);
  const header = stripe.webhooks.generateTestHeaderString({ payload: body, secret: STRIPE_SECRET });

  let p = plugin('stripe', { 'Stripe-Signature': header }, body);
  ok(p.verified && stripeSdkAccepts(body, header) && p.field('ref') === pi.id && p.field('type') === '1' &&
     p.field('amount') === '12000',
     'stripe: an SDK-made Stripe-Signature verifies in the SDK and the plugin, which parses payment_intent.succeeded',
     p.line);

  const changed = body.replace('12000', '12001');
  p = plugin('stripe', { 'Stripe-Signature': header }, changed);
  ok(!p.verified && !stripeSdkAccepts(changed, header) && p.field('code') === 'signature_invalid',
     'stripe: a changed body is refused by both', p.line);

  const oneByte = body.slice(0, -1) + ' ' + body.slice(-1);
  p = plugin('stripe', { 'Stripe-Signature': header }, oneByte);
  ok(!p.verified && !stripeSdkAccepts(oneByte, header), 'stripe: one added space in the body is refused by both', p.line);

  const wrong = stripe.webhooks.generateTestHeaderString({ payload: body, secret: `${STRIPE_SECRET}x` });
  p = plugin('stripe', { 'Stripe-Signature': wrong }, body);
  ok(!p.verified && !stripeSdkAccepts(body, wrong), 'stripe: a header made with a wrong secret is refused by both', p.line);

  const stale = stripe.webhooks.generateTestHeaderString({ payload: body, secret: STRIPE_SECRET, timestamp: now - 400 });
  p = plugin('stripe', { 'Stripe-Signature': stale }, body);
  ok(!p.verified && !stripeSdkAccepts(body, stale) && p.field('code') === 'signature_stale',
     'stripe: a timestamp 400 s old is refused by both (300 s tolerance)', p.line);

  const recent = stripe.webhooks.generateTestHeaderString({ payload: body, secret: STRIPE_SECRET, timestamp: now - 200 });
  p = plugin('stripe', { 'Stripe-Signature': recent }, body);
  ok(p.verified && stripeSdkAccepts(body, recent), 'stripe: a timestamp 200 s old is accepted by both', p.line);

  const future = stripe.webhooks.generateTestHeaderString({ payload: body, secret: STRIPE_SECRET, timestamp: now + 400 });
  p = plugin('stripe', { 'Stripe-Signature': future }, body);
  ok(!p.verified && p.field('code') === 'signature_stale',
     'stripe: a timestamp 400 s in the future is refused by the plugin (|now - t| > 300)', p.line);

  // Secret rolling: Stripe signs with every active secret, one v1 each.
  const v1Wrong = wrong.split(',').find((x) => x.startsWith('v1='));
  const rolled = `${header},${v1Wrong}`.replace(/^(t=\d+),(v1=[0-9a-f]+),(v1=[0-9a-f]+)$/, '$1,$3,$2');
  p = plugin('stripe', { 'Stripe-Signature': rolled }, body);
  ok(p.verified && stripeSdkAccepts(body, rolled) && rolled.split('v1=').length === 3,
     'stripe: a header with two v1 signatures, the right one second, is accepted by both', p.line);

  const v0only = header.replace('v1=', 'v0=');
  p = plugin('stripe', { 'Stripe-Signature': v0only }, body);
  ok(!p.verified && !stripeSdkAccepts(body, v0only), 'stripe: a header with no v1 scheme is refused by both', p.line);

  p = plugin('stripe', {}, body);
  ok(!p.verified && p.field('code') === 'signature_invalid', 'stripe: no Stripe-Signature header is refused', p.line);

  const refunded = stripeEvent('charge.refunded', { id: `ch_${rnd()}`, object: 'charge', amount: 12000,
                                                   amount_refunded: 3000, payment_intent: pi.id, refunded: false });
  const rh = stripe.webhooks.generateTestHeaderString({ payload: refunded, secret: STRIPE_SECRET });
  p = plugin('stripe', { 'Stripe-Signature': rh }, refunded);
  ok(p.verified && p.field('type') === '4' && p.field('ref') === pi.id && p.field('amount') === '3000',
     'stripe: charge.refunded parses into REFUND_SUCCEEDED for its PaymentIntent', p.line);

  const failedEv = stripeEvent('payment_intent.payment_failed', { ...pi, status: 'requires_payment_method',
    last_payment_error: { type: 'card_error', code: 'card_declined', decline_code: 'insufficient_funds' } });
  const fh = stripe.webhooks.generateTestHeaderString({ payload: failedEv, secret: STRIPE_SECRET });
  p = plugin('stripe', { 'Stripe-Signature': fh }, failedEv);
  ok(p.verified && p.field('type') === '2' && p.field('status') === '1',
     'stripe: payment_intent.payment_failed parses into PAYMENT_FAILED, status DECLINED', p.line);

  const dispute = stripeEvent('charge.dispute.created', { id: `dp_${rnd()}`, object: 'dispute', amount: 12000,
                                                         charge: `ch_${rnd()}`, payment_intent: pi.id, status: 'needs_response' });
  const dh = stripe.webhooks.generateTestHeaderString({ payload: dispute, secret: STRIPE_SECRET });
  p = plugin('stripe', { 'Stripe-Signature': dh }, dispute);
  ok(p.verified && p.field('type') === '0' && p.field('type_name') === 'charge.dispute.created' &&
     p.field('ref') === pi.id, 'stripe: charge.dispute.created names its PaymentIntent (type OTHER + type_name)', p.line);

  const other = stripeEvent('customer.created', { id: `cus_${rnd()}`, object: 'customer' });
  const oh = stripe.webhooks.generateTestHeaderString({ payload: other, secret: STRIPE_SECRET });
  p = plugin('stripe', { 'Stripe-Signature': oh }, other);
  ok(p.verified && p.field('type') === '0', 'stripe: an unknown event type verifies and is acknowledged as OTHER', p.line);

  // The simulator's signing, checked by the SDK and the plugin.
  const base = await startSim('stripe-sim.mjs', ['--webhook-secret', STRIPE_SECRET]);
  const pm = await post(base, '/__test/payment_methods', { number: '4242424242424242' });
  const auth = { authorization: 'Bearer sk_test_stripesim', 'idempotency-key': `sdk-${rnd()}`,
                 'content-type': 'application/x-www-form-urlencoded' };
  const r = await fetch(`${base}/v1/payment_intents`, { method: 'POST', headers: auth,
    body: `amount=4200&currency=usd&payment_method=${pm.id}&confirm=true` });
  const simPi = await r.json();
  const w = await post(base, '/__test/webhook', { payment_intent: simPi.id });
  const sh = w.headers['Stripe-Signature'];
  p = plugin('stripe', { 'Stripe-Signature': sh }, w.body);
  ok(simPi.status === 'succeeded' && stripeSdkAccepts(w.body, sh) && p.verified && p.field('ref') === simPi.id,
     'stripe: the simulator\'s signed webhook verifies in the SDK and the plugin', `${p.line} ${JSON.stringify(simPi).slice(0, 200)}`);
}

async function squareChecks() {
  const payment = { id: rnd(), status: 'COMPLETED', amount_money: { amount: 12000, currency: 'USD' },
                    created_at: new Date().toISOString() };
  const ev = (type, kind, object) => JSON.stringify({ merchant_id: 'MLSDK', type, event_id: crypto.randomUUID(),
    created_at: new Date().toISOString(), data: { type: kind, id: object.id, object: { [kind]: object } } });
  const sign = (body, key = SQUARE_KEY, url = SQUARE_URL) =>
    crypto.createHmac('sha256', key).update(url + body).digest('base64');
  const sdk = (body, sig, key = SQUARE_KEY, url = SQUARE_URL) =>
    WebhooksHelper.verifySignature({ requestBody: body, signatureHeader: sig, signatureKey: key, notificationUrl: url });
  const H = 'x-square-hmacsha256-signature';

  const body = ev('payment.updated', 'payment', payment);
  const sig = sign(body);
  let p = plugin('square', { [H]: sig }, body);
  let s = await sdk(body, sig);
  ok(s === true && p.verified && p.field('ref') === payment.id && p.field('type') === '1',
     'square: a valid signature verifies in the SDK and the plugin, which parses payment.updated COMPLETED', p.line);

  const changed = body.replace('12000', '12001');
  p = plugin('square', { [H]: sig }, changed);
  s = await sdk(changed, sig);
  ok(s === false && !p.verified && p.field('code') === 'signature_invalid', 'square: a changed body is refused by both', p.line);

  const wrongKey = sign(body, `${SQUARE_KEY}x`);
  p = plugin('square', { [H]: wrongKey }, body);
  s = await sdk(body, wrongKey);
  ok(s === false && !p.verified, 'square: a signature made with a wrong key is refused by both', p.line);

  p = plugin('square', { [H]: sig }, body, { webhook_signature_key_file: files.sqkey2 });
  s = await sdk(body, sig, `${SQUARE_KEY}x`);
  ok(s === false && !p.verified, 'square: verifying with another key refuses in both', p.line);

  const otherUrl = 'https://portal.example.org/webhooks/other/square';
  p = plugin('square', { [H]: sig }, body, { webhook_notification_url: otherUrl });
  s = await sdk(body, sig, SQUARE_KEY, otherUrl);
  ok(s === false && !p.verified, 'square: another notification URL refuses in both (the URL is signed)', p.line);

  const urlSigned = sign(body, SQUARE_KEY, otherUrl);
  p = plugin('square', { [H]: urlSigned }, body, { webhook_notification_url: otherUrl });
  s = await sdk(body, urlSigned, SQUARE_KEY, otherUrl);
  ok(s === true && p.verified, 'square: a signature over that other URL verifies in both when configured so', p.line);

  p = plugin('square', { [H]: '' }, body);
  s = await sdk(body, '');
  ok(s === false && !p.verified, 'square: an empty signature is refused by both', p.line);

  p = plugin('square', {}, body);
  ok(!p.verified && p.field('code') === 'signature_invalid', 'square: no signature header is refused', p.line);

  const refund = ev('refund.updated', 'refund', { id: `${payment.id}_${rnd()}`, status: 'COMPLETED', payment_id: payment.id,
                                                   amount_money: { amount: 3000, currency: 'USD' } });
  const rs = sign(refund);
  p = plugin('square', { [H]: rs }, refund);
  s = await sdk(refund, rs);
  ok(s === true && p.verified && p.field('type') === '4' && p.field('ref') === payment.id && p.field('amount') === '3000',
     'square: refund.updated COMPLETED parses into REFUND_SUCCEEDED', p.line);

  const other = ev('customer.created', 'customer', { id: rnd() });
  const os = sign(other);
  p = plugin('square', { [H]: os }, other);
  ok(p.verified && p.field('type') === '0', 'square: an unknown event type verifies and is acknowledged as OTHER', p.line);

  // The simulator's signing, checked by the SDK and the plugin.
  const base = await startSim('square-sim.mjs', ['--signature-key', SQUARE_KEY, '--notification-url', SQUARE_URL,
                                                 '--access-token', 'EAAAsdk']);
  const auth = { authorization: 'Bearer EAAAsdk', 'square-version': '2025-01-23' };
  const pay = await post(base, '/v2/payments', { idempotency_key: `sdk-${rnd()}`, source_id: 'cnon:card-nonce-ok',
                                                  amount_money: { amount: 4200, currency: 'USD' } }, auth);
  const w = await post(base, '/__test/webhook', { payment_id: pay.payment?.id });
  p = plugin('square', { [H]: w.headers[H] }, w.body);
  s = await sdk(w.body, w.headers[H]);
  ok(pay.payment?.status === 'COMPLETED' && s === true && p.verified && p.field('ref') === pay.payment.id,
     'square: the simulator\'s signed webhook verifies in the SDK and the plugin', `${p.line} ${JSON.stringify(pay).slice(0, 200)}`);
}

try {
  await stripeChecks();
  await squareChecks();
} catch (e) {
  ok(false, 'the checks ran to the end', e.stack);
} finally {
  for (const c of sims) c.kill('SIGTERM');
  rmSync(tmp, { recursive: true, force: true });
}
console.log(`1..${n}`);
process.exitCode = failed > 0 ? 1 : 0;
