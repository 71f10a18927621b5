// check-sims.mjs: TAP self-tests of the Stripe and Square simulators: the
// strictness that makes a plugin mistake visible (wrong parameter names, a
// missing auth or idempotency header are 400/401 in the processor's error
// shape), idempotency semantics, test values, faults, the stand-in browser
// SDKs and signed webhook delivery.  top_srcdir=... node check-sims.mjs
import { spawn } from 'node:child_process';
import http from 'node:http';
import crypto from 'node:crypto';
import { join } from 'node:path';

const top = process.env.top_srcdir ?? join(import.meta.dirname, '..', '..');
const sims = [];
let n = 0;
let failed = 0;
function ok(cond, name, diag) {
  n++;
  if (!cond) failed++;
  console.log(`${cond ? 'ok' : 'not ok'} ${n} - ${name}`);
  if (!cond && diag !== undefined) console.log(`# ${JSON.stringify(diag).slice(0, 400)}`);
}
async function startSim(file, args) {
  const child = spawn(process.execPath, [join(top, 'tests/sim', file), '--port', '0', ...args],
                      { stdio: ['ignore', 'pipe', 'pipe'] });
  sims.push(child);
  let log = '';
  child.stderr.on('data', (d) => { log += d; });
  const port = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/listening (\d+)/);
      if (m) resolve(Number(m[1]));
    });
    child.on('exit', () => reject(new Error(`${file} exited`)));
  });
  return { base: `http://127.0.0.1:${port}`, log: () => log };
}
async function req(base, method, path, { headers = {}, body } = {}) {
  const r = await fetch(base + path, { method, headers, body });
  const text = await r.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: r.status, json, text, headers: r.headers };
}
const form = (o) => new URLSearchParams(o).toString();
const rnd = () => crypto.randomBytes(8).toString('hex');

// A webhook receiver: resolves with the first delivery's headers and body.
function receiver() {
  let resolve;
  const got = new Promise((r) => { resolve = r; });
  const srv = http.createServer((rq, rs) => {
    let b = '';
    rq.on('data', (d) => { b += d; });
    rq.on('end', () => { rs.end('ok'); resolve({ headers: rq.headers, body: b }); });
  });
  return new Promise((r) => srv.listen(0, '127.0.0.1', () => r({ url: `http://127.0.0.1:${srv.address().port}/hook`, got, srv })));
}

async function stripe() {
  const sk = `sk_test_${rnd()}`;
  const whsec = `whsec_${rnd()}`;
  const { base, log } = await startSim('stripe-sim.mjs', ['--secret-key', sk, '--webhook-secret', whsec]);
  const H = (key) => ({ authorization: `Bearer ${sk}`, 'content-type': 'application/x-www-form-urlencoded',
                        ...(key ? { 'idempotency-key': key } : {}) });
  const basic = `Basic ${Buffer.from(`${sk}:`).toString('base64')}`;

  let r = await req(base, 'POST', '/v1/customers', { headers: { 'content-type': 'application/x-www-form-urlencoded', 'idempotency-key': rnd() }, body: 'name=A' });
  ok(r.status === 401 && r.json?.error?.type === 'invalid_request_error', 'stripe-sim: no API key: 401 in Stripe\'s error shape', r.json);
  r = await req(base, 'POST', '/v1/customers', { headers: { ...H(rnd()), authorization: 'Bearer sk_test_wrong' }, body: 'name=A' });
  ok(r.status === 401 && r.json?.error?.code === 'api_key_invalid', 'stripe-sim: a wrong API key: 401 api_key_invalid', r.json);
  r = await req(base, 'POST', '/v1/customers', { headers: { ...H(rnd()), authorization: basic }, body: form({ name: 'Basic Auth', email: 'b@example.org' }) });
  ok(r.status === 200 && r.json?.id?.startsWith('cus_'), 'stripe-sim: Basic auth with the secret key as user name works', r.json);
  const cus = r.json?.id;
  r = await req(base, 'POST', '/v1/customers', { headers: H(null), body: 'name=A' });
  ok(r.status === 400 && r.json?.error?.code === 'idempotency_key_missing', 'stripe-sim: a POST without Idempotency-Key: 400', r.json);
  r = await req(base, 'POST', '/v1/customers', { headers: H(rnd()), body: 'nmae=A' });
  ok(r.status === 400 && r.json?.error?.code === 'parameter_unknown' && r.json?.error?.param === 'nmae',
     'stripe-sim: a misspelt parameter: 400 parameter_unknown naming it', r.json);
  r = await req(base, 'POST', '/v1/customers', { headers: { ...H(rnd()), 'content-type': 'application/json' }, body: '{"name":"A"}' });
  ok(r.status === 400, 'stripe-sim: a JSON body is refused (form-encoded API)', r.json);

  const pay = (key, extra = {}) => req(base, 'POST', '/v1/payment_intents', { headers: H(key),
    body: form({ amount: '5000', currency: 'usd', payment_method: 'pm_card_visa', 'payment_method_types[0]': 'card', confirm: 'true', ...extra }) });
  const k1 = `k-${rnd()}`;
  r = await pay(k1);
  ok(r.status === 200 && r.json?.status === 'succeeded' && r.json?.latest_charge?.startsWith('ch_'),
     'stripe-sim: pm_card_visa confirms to succeeded', r.json);
  const r2 = await pay(k1);
  ok(r2.status === 200 && r2.json?.id === r.json?.id && r2.headers.get('idempotent-replayed') === 'true',
     'stripe-sim: same key, same parameters: the saved answer, Idempotent-Replayed: true', r2.json);
  r = await pay(k1, { amount: '5001' });
  ok(r.status === 400 && r.json?.error?.type === 'idempotency_error', 'stripe-sim: same key, other parameters: 400 idempotency_error', r.json);
  r = await pay(`k-${rnd()}`, { amont: '1' });
  ok(r.status === 400 && r.json?.error?.code === 'parameter_unknown', 'stripe-sim: PaymentIntent with a misspelt parameter: 400', r.json);
  r = await pay(`k-${rnd()}`, { payment_method: 'pm_card_chargeDeclinedInsufficientFunds' });
  ok(r.status === 402 && r.json?.error?.type === 'card_error' && r.json?.error?.decline_code === 'insufficient_funds' &&
     r.json?.error?.payment_intent?.status === 'requires_payment_method',
     'stripe-sim: insufficient funds: 402 card_error with the PaymentIntent', r.json);
  r = await pay(`k-${rnd()}`, { payment_method: 'pm_card_authenticationRequired' });
  ok(r.status === 200 && r.json?.status === 'requires_action' && r.json?.next_action?.type === 'use_stripe_sdk',
     'stripe-sim: 3-D Secure card on session: requires_action', r.json);
  r = await pay(`k-${rnd()}`, { payment_method: 'pm_card_authenticationRequired', off_session: 'true' });
  ok(r.status === 402 && r.json?.error?.code === 'authentication_required',
     'stripe-sim: 3-D Secure card off session: 402 authentication_required', r.json);
  r = await pay(`k-${rnd()}`, { payment_method: 'pm_card_chargeDeclinedExpiredCard' });
  ok(r.status === 402 && r.json?.error?.code === 'expired_card', 'stripe-sim: expired card: 402 expired_card', r.json);

  // A PaymentMethod attached through a SetupIntent needs its customer.
  r = await req(base, 'POST', '/v1/setup_intents', { headers: H(rnd()),
    body: form({ customer: cus, payment_method: 'pm_card_visa', usage: 'off_session', confirm: 'true', 'expand[0]': 'payment_method' }) });
  ok(r.status === 200 && r.json?.status === 'succeeded' && r.json?.payment_method?.customer === cus,
     'stripe-sim: SetupIntent usage=off_session attaches the card', r.json);
  const pm = r.json?.payment_method?.id;
  r = await pay(`k-${rnd()}`, { payment_method: pm });
  ok(r.status === 400 && r.json?.error?.param === 'customer', 'stripe-sim: an attached card without its customer: 400', r.json);
  r = await req(base, 'GET', `/v1/customers/${cus}/payment_methods?type=card`, { headers: H() });
  ok(r.status === 200 && r.json?.data?.length === 1 && r.json.data[0].id === pm, 'stripe-sim: the customer\'s cards list it', r.json);
  r = await req(base, 'POST', `/v1/payment_methods/${pm}/detach`, { headers: H(rnd()), body: '' });
  ok(r.status === 200 && r.json?.customer === null, 'stripe-sim: detach', r.json);

  // Faults: 500 after commit is saved and replayed; 409 while in flight.
  await req(base, 'POST', '/__admin/faults', { headers: { 'content-type': 'application/json' }, body: '{"fail_after_commit":true,"count":1}' });
  const k5 = `k-${rnd()}`;
  r = await pay(k5, { 'metadata[idempotency_key]': k5 });
  const again = await pay(k5, { 'metadata[idempotency_key]': k5 });
  const led = await req(base, 'GET', '/__admin/ledger');
  const mine = led.json.payment_intents.filter((p) => p.metadata?.idempotency_key === k5);
  ok(r.status === 500 && again.status === 500 && again.headers.get('idempotent-replayed') === 'true' &&
     mine.length === 1 && mine[0].status === 'succeeded',
     'stripe-sim: a 500 after the charge is saved and replayed for its key', [r.status, again.status]);
  await req(base, 'POST', '/__admin/faults', { headers: { 'content-type': 'application/json' }, body: '{"latency_ms":400}' });
  const k6 = `k-${rnd()}`;
  const first = pay(k6);
  await new Promise((res) => setTimeout(res, 100));
  const second = await pay(k6);
  const firstR = await first;
  await req(base, 'POST', '/__admin/faults', { headers: { 'content-type': 'application/json' }, body: '{}' });
  ok(firstR.status === 200 && second.status === 409 && second.json?.error?.type === 'idempotency_error',
     'stripe-sim: the same key while the first is in flight: 409', second.json);
  await req(base, 'POST', '/__admin/faults', { headers: { 'content-type': 'application/json' }, body: '{"rate_limit":true,"count":1}' });
  r = await pay(`k-${rnd()}`);
  ok(r.status === 429 && r.headers.get('retry-after') === '1', 'stripe-sim: the 429 knob', r.json);

  // Refunds.
  const pi = firstR.json.id;
  r = await req(base, 'POST', '/v1/refunds', { headers: H(rnd()), body: form({ payment_intent: pi, amount: '6000' }) });
  ok(r.status === 400 && r.json?.error?.code === 'amount_too_large', 'stripe-sim: refunding more than paid: 400 amount_too_large', r.json);
  r = await req(base, 'POST', '/v1/refunds', { headers: H(rnd()), body: form({ payment_intent: pi, reason: 'because' }) });
  ok(r.status === 400 && r.json?.error?.param === 'reason', 'stripe-sim: a free-text reason: 400 (it is an enum)', r.json);
  r = await req(base, 'POST', '/v1/refunds', { headers: H(rnd()), body: form({ payment_intent: pi }) });
  ok(r.status === 200 && r.json?.amount === 5000 && r.json?.status === 'succeeded', 'stripe-sim: full refund', r.json);

  // The publishable key may only create PaymentMethods (as Stripe.js).
  r = await req(base, 'POST', '/v1/payment_methods', { headers: { authorization: 'Bearer pk_test_stripesim', 'content-type': 'application/x-www-form-urlencoded' },
    body: form({ type: 'card', 'card[number]': '4242424242424242', 'card[exp_month]': '12', 'card[exp_year]': '2040', 'card[cvc]': '123' }) });
  ok(r.status === 200 && r.json?.card?.last4 === '4242' && !r.text.includes('4242424242424242'),
     'stripe-sim: Stripe.js path: the publishable key creates a PaymentMethod; no number comes back', r.json);
  r = await req(base, 'GET', `/v1/payment_intents/${pi}`, { headers: { authorization: 'Bearer pk_test_stripesim' } });
  ok(r.status === 401, 'stripe-sim: the publishable key cannot read PaymentIntents', r.json);
  r = await req(base, 'GET', '/v3');
  ok(r.status === 200 && r.text.includes('createPaymentMethod') && r.text.includes('window.Stripe'),
     'stripe-sim: serves a stand-in Stripe.js at /v3', r.status);

  // Delivery of a signed event.
  const rc = await receiver();
  await req(base, 'POST', '/__admin/config', { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ webhook_url: rc.url }) });
  await pay(`k-${rnd()}`);
  const d = await rc.got;
  rc.srv.close();
  const sig = d.headers['stripe-signature'] ?? '';
  const t = (sig.match(/t=(\d+)/) ?? [])[1];
  const v1 = (sig.match(/v1=([0-9a-f]+)/) ?? [])[1];
  const want = crypto.createHmac('sha256', whsec).update(`${t}.${d.body}`).digest('hex');
  ok(v1 === want && JSON.parse(d.body).object === 'event', 'stripe-sim: delivers events signed t=,v1=HMAC(secret, t.body)', sig);
  ok(!/4242424242424242/.test(log()), 'stripe-sim: its log holds no card number');
}

async function square() {
  const tok = `EAAA${rnd()}`;
  const key = `sk${rnd()}`;
  const url = 'https://portal.example.org/webhooks/demo/square';
  const { base, log } = await startSim('square-sim.mjs', ['--access-token', tok, '--signature-key', key, '--notification-url', url]);
  const H = { authorization: `Bearer ${tok}`, 'square-version': '2025-01-23', 'content-type': 'application/json' };
  const post = (path, body, h = H) => req(base, 'POST', path, { headers: h, body: JSON.stringify(body) });

  let r = await post('/v2/customers', { given_name: 'A' }, { ...H, authorization: 'Bearer nope' });
  ok(r.status === 401 && r.json?.errors?.[0]?.category === 'AUTHENTICATION_ERROR', 'square-sim: a wrong token: 401 AUTHENTICATION_ERROR', r.json);
  const { 'square-version': _, ...noVersion } = H;
  r = await post('/v2/customers', { given_name: 'A' }, noVersion);
  ok(r.status === 400 && r.json?.errors?.[0]?.field === 'Square-Version', 'square-sim: no Square-Version header: 400', r.json);
  r = await post('/v2/customers', { givenname: 'A' });
  ok(r.status === 400 && r.json?.errors?.[0]?.code === 'BAD_REQUEST' && r.json?.errors?.[0]?.field === 'givenname',
     'square-sim: a misspelt field: 400 naming it', r.json);
  r = await post('/v2/customers', { given_name: 'Pat', family_name: 'Lee', email_address: 'p@example.org' });
  ok(r.status === 200 && r.json?.customer?.id, 'square-sim: CreateCustomer', r.json);
  const cus = r.json?.customer?.id;
  r = await post('/v2/payments', { source_id: 'cnon:card-nonce-ok', amount_money: { amount: 100, currency: 'USD' } });
  ok(r.status === 400 && r.json?.errors?.[0]?.code === 'MISSING_REQUIRED_PARAMETER' && r.json?.errors?.[0]?.field === 'idempotency_key',
     'square-sim: CreatePayment without idempotency_key: 400', r.json);
  r = await post('/v2/payments', { idempotency_key: 'x'.repeat(46), source_id: 'cnon:card-nonce-ok', amount_money: { amount: 100, currency: 'USD' } });
  ok(r.status === 400 && r.json?.errors?.[0]?.code === 'VALUE_TOO_LONG', 'square-sim: an idempotency_key over 45 characters: 400 VALUE_TOO_LONG', r.json);
  const k1 = rnd();
  r = await post('/v2/payments', { idempotency_key: k1, source_id: 'cnon:card-nonce-ok', amount_money: { amount: 2500, currency: 'USD' }, autocomplete: true });
  ok(r.status === 200 && r.json?.payment?.status === 'COMPLETED', 'square-sim: cnon:card-nonce-ok completes', r.json);
  const r2 = await post('/v2/payments', { idempotency_key: k1, source_id: 'cnon:card-nonce-ok', amount_money: { amount: 2500, currency: 'USD' }, autocomplete: true });
  ok(r2.status === 200 && r2.json?.payment?.id === r.json?.payment?.id, 'square-sim: the same key and body: the original payment', r2.json);
  r = await post('/v2/payments', { idempotency_key: k1, source_id: 'cnon:card-nonce-ok', amount_money: { amount: 2600, currency: 'USD' }, autocomplete: true });
  ok(r.status === 400 && r.json?.errors?.[0]?.code === 'IDEMPOTENCY_KEY_REUSED', 'square-sim: the same key, another body: IDEMPOTENCY_KEY_REUSED', r.json);
  r = await post('/v2/payments', { idempotency_key: rnd(), source_id: 'cnon:card-nonce-declined', amount_money: { amount: 2500, currency: 'USD' } });
  ok(r.status === 400 && r.json?.errors?.[0]?.category === 'PAYMENT_METHOD_ERROR' && r.json?.errors?.[0]?.code === 'GENERIC_DECLINE' &&
     r.json?.payment?.status === 'FAILED', 'square-sim: cnon:card-nonce-declined: PAYMENT_METHOD_ERROR with the FAILED payment', r.json);
  r = await post('/v2/payments', { idempotency_key: rnd(), source_id: 'cnon:card-nonce-ok', amount_money: { amount: 403, currency: 'USD' } });
  ok(r.status === 400 && r.json?.errors?.[0]?.category === 'PAYMENT_METHOD_ERROR', 'square-sim: an amount of 403 is declined', r.json);
  const t = await post('/__test/tokens', { number: '4111111111111111', cvv: '911', postal_code: '94103' }, { 'content-type': 'application/json' });
  r = await post('/v2/payments', { idempotency_key: rnd(), source_id: t.json.token, amount_money: { amount: 2500, currency: 'USD' } });
  ok(r.json?.errors?.[0]?.code === 'CVV_FAILURE', 'square-sim: CVV 911 is a CVV_FAILURE', r.json);
  r = await post('/v2/payments', { idempotency_key: rnd(), source_id: t.json.token, amount_money: { amount: 2500, currency: 'USD' } });
  ok(r.json?.errors?.[0]?.code === 'CARD_TOKEN_USED', 'square-sim: a token is single-use', r.json);

  const t2 = await post('/__test/tokens', { number: '4111111111111111' }, { 'content-type': 'application/json' });
  r = await post('/v2/cards', { idempotency_key: rnd(), source_id: t2.json.token, card: { customer_id: cus } });
  ok(r.status === 200 && r.json?.card?.id?.startsWith('ccof:') && r.json?.card?.last_4 === '1111' && r.json?.card?.enabled === true,
     'square-sim: CreateCard from a token', r.json);
  const card = r.json?.card?.id;
  r = await post('/v2/payments', { idempotency_key: rnd(), source_id: card, amount_money: { amount: 2500, currency: 'USD' } });
  ok(r.status === 400 && r.json?.errors?.[0]?.field === 'customer_id', 'square-sim: a card on file without customer_id: 400', r.json);
  r = await req(base, 'GET', `/v2/cards?customer_id=${cus}`, { headers: H });
  ok(r.status === 200 && r.json?.cards?.length === 1, 'square-sim: ListCards by customer', r.json);
  r = await post(`/v2/cards/${card}/disable`, {});
  ok(r.status === 200 && r.json?.card?.enabled === false, 'square-sim: DisableCard', r.json);
  r = await post('/v2/payments', { idempotency_key: rnd(), source_id: card, customer_id: cus, amount_money: { amount: 2500, currency: 'USD' } });
  ok(r.status === 400, 'square-sim: a disabled card cannot pay', r.json);

  const pid = r2.json.payment.id;
  r = await post('/v2/refunds', { idempotency_key: rnd(), payment_id: pid, amount_money: { amount: 2600, currency: 'USD' } });
  ok(r.status === 400 && r.json?.errors?.[0]?.code === 'REFUND_AMOUNT_INVALID', 'square-sim: refunding more than paid: 400', r.json);
  r = await post('/v2/refunds', { idempotency_key: rnd(), payment_id: pid, amount_money: { amount: 1000, currency: 'USD' } });
  ok(r.status === 200 && r.json?.refund?.status === 'COMPLETED', 'square-sim: RefundPayment', r.json);
  r = await req(base, 'GET', `/v2/payments/${pid}`, { headers: H });
  ok(r.json?.payment?.refunded_money?.amount === 1000, 'square-sim: GetPayment shows refunded_money', r.json);
  r = await req(base, 'GET', '/v2/payments/nope', { headers: H });
  ok(r.status === 404 && r.json?.errors?.[0]?.code === 'NOT_FOUND', 'square-sim: GetPayment of an unknown id: 404 NOT_FOUND', r.json);
  r = await req(base, 'GET', '/v2/payments?limit=2&sort_order=DESC', { headers: H });
  const r3 = await req(base, 'GET', `/v2/payments?limit=2&sort_order=DESC&cursor=${encodeURIComponent(r.json?.cursor ?? '')}`, { headers: H });
  ok(r.json?.payments?.length === 2 && r.json?.cursor && r3.json?.payments?.length >= 1 &&
     r3.json.payments[0].id !== r.json.payments[0].id, 'square-sim: ListPayments pages with a cursor', [r.json, r3.json]);

  await post('/__admin/faults', { fail_after_commit: true, count: 1 }, { 'content-type': 'application/json' });
  const k5 = rnd();
  const body5 = { idempotency_key: k5, source_id: 'cnon:card-nonce-ok', amount_money: { amount: 777, currency: 'USD' } };
  r = await post('/v2/payments', body5);
  const again = await post('/v2/payments', body5);
  const led = await req(base, 'GET', '/__admin/ledger');
  ok(r.status === 500 && again.status === 500 &&
     led.json.payments.filter((p) => p.idempotency_key === k5 && p.status === 'COMPLETED').length === 1,
     'square-sim: a 500 after the payment is saved and replayed; the ledger holds one payment', [r.status, again.status]);
  r = await req(base, 'GET', '/v1/square.js');
  ok(r.status === 200 && r.text.includes('payments') && r.text.includes('tokenize'), 'square-sim: serves a stand-in Web Payments SDK', r.status);

  const rc = await receiver();
  await post('/__admin/config', { webhook_url: rc.url }, { 'content-type': 'application/json' });
  await post('/v2/payments', { idempotency_key: rnd(), source_id: 'cnon:card-nonce-ok', amount_money: { amount: 900, currency: 'USD' } });
  const d = await rc.got;
  rc.srv.close();
  const want = crypto.createHmac('sha256', key).update(url + d.body).digest('base64');
  ok(d.headers['x-square-hmacsha256-signature'] === want && JSON.parse(d.body).event_id,
     'square-sim: delivers events signed base64(HMAC(key, notification URL + body))', d.headers);
  ok(!/4111111111111111/.test(log()) && !/4111111111111111/.test(JSON.stringify(led.json)),
     'square-sim: its log and ledger hold no card number');
}

try {
  await stripe();
  await square();
} catch (e) {
  ok(false, 'the checks ran to the end', e.stack);
} finally {
  for (const c of sims) c.kill('SIGTERM');
}
console.log(`1..${n}`);
process.exitCode = failed > 0 ? 1 : 0;
