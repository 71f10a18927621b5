// stripe-sim.mjs: a local simulator of the part of Stripe's v1 API the
// portal's Stripe plugin uses (Node 20, no npm dependencies): Customers,
// PaymentMethods, SetupIntents, PaymentIntents, Charges (read), Refunds,
// lists, Stripe idempotency, signed webhooks, a stand-in Stripe.js, fault
// knobs and a ledger for tests. It follows https://docs.stripe.com/api:
// form-encoded bodies with bracketed keys, Basic or Bearer auth with the
// secret key, errors as {"error": {type, code, decline_code?, message,
// param?, payment_intent?}} with Stripe's status codes.
//
// Usage: node stripe-sim.mjs [--port N] [--host 127.0.0.1]
//          [--secret-key sk_test_...] [--publishable-key pk_test_...]
//          [--webhook-secret whsec_...] [--webhook-url URL] [--quiet]
// Port 0 (default) picks a free port; prints "listening <port>" on stdout
// once listening. One log line per request on stderr (method, path without
// query, status, ms), never a body: never a card number or a key.
//
// Strictness, to catch plugin mistakes (each a 400/401 in Stripe's shape):
//   - unknown parameters: 400 parameter_unknown ("Received unknown
//     parameter: X"), as Stripe; bad values: 400 parameter_invalid_*;
//   - no or a wrong API key: 401; a publishable key may only create
//     PaymentMethods (what Stripe.js does);
//   - every POST must carry an Idempotency-Key (stricter than Stripe, which
//     makes it optional: the plugin promises one on every POST): 400
//     idempotency_key_missing; keys are 1..255 characters;
//   - POST bodies must be application/x-www-form-urlencoded.
// Idempotency (https://docs.stripe.com/api/idempotent_requests): the first
// result of a key, 5xx included, is saved once execution began and replayed
// with "Idempotent-Replayed: true"; the same key with other parameters or
// another endpoint: 400 idempotency_error; while the first is in flight:
// 409 idempotency_error; a request that failed validation is not saved.
//
// Test payment methods (https://docs.stripe.com/testing): the magic ids
// pm_card_visa, pm_card_chargeDeclined, pm_card_chargeDeclinedInsufficientFunds,
// pm_card_chargeDeclinedExpiredCard, pm_card_chargeCustomerFail and
// pm_card_authenticationRequired each make a new PaymentMethod when used;
// cards created through POST /v1/payment_methods behave by number:
// 4242424242424242 succeeds, 4000000000000002 generic decline,
// 4000000000009995 insufficient funds, 4000000000000069 expired card,
// 4000000000000341 attaches but every charge fails, 4000002760003184
// always requires authentication (on session: status requires_action; off
// session: 402 authentication_required; SetupIntent: requires_action).
//
// Test and admin endpoints (no auth, loopback only):
//   POST /__test/payment_methods {number, exp_month?, exp_year?, cvc?}
//        -> {id: "pm_..."}  (as Stripe.js would make one)
//   POST /__test/webhook {payment_intent, type?, timestamp?, secrets?}
//        -> {headers, body}: a signed event (type default from the PI's
//        status; secrets: extra signing secrets, one v1 each)
//   POST /__test/dispute {payment_intent} -> the charge.dispute.created event
//   POST /__admin/faults {latency_ms, timeout, fail_after_commit, rate_limit,
//        count, match}  as the sandbox simulator; match default
//        "/v1/payment_intents"
//   GET  /__admin/faults; GET /__admin/ledger -> {payment_intents, charges,
//        refunds}; GET /__admin/events; POST /__admin/config {webhook_url};
//   POST /__admin/reset
// Stand-in Stripe.js: GET /v3 serves a small script implementing the part
// of Stripe.js a card page uses: Stripe(pk).elements().create('card')
// .mount(el), stripe.createPaymentMethod({type: 'card', card: element})
// -> Promise<{paymentMethod} | {error}>, stripe.confirmCardSetup(secret,
// {payment_method}), stripe.handleNextAction({clientSecret}) and
// stripe.confirmCardPayment(secret, {payment_method}) -> Promise<
// {paymentIntent} | {setupIntent} | {error}>. The card fields live in an
// iframe of the script's origin (GET /v3/card-frame), so the page never
// sees the number.
//
// Origins, as Stripe's own (https://docs.stripe.com/security/guide#content-
// security-policy): the simulator listens on three ports, printed before
// "listening" as "origin js URL", "origin hooks URL", "origin api URL":
//   js    (--js-port, like js.stripe.com): the script /v3 and the card
//         element frame;
//   hooks (--hooks-port, like hooks.stripe.com): the 3-D Secure challenge
//         frame GET /3ds/challenge (buttons "Complete authentication" and
//         "Fail authentication", as Stripe's test page);
//   api   (--port, like api.stripe.com): the API, which the page's script
//         and the frames call too (publishable key as "key" in the body or
//         query, CORS open), and the test/admin endpoints.
// A page that loads the script from the api port (one origin) gets every
// frame and call from that one origin, as before.
// 3-D Secure: POST /v1/payment_intents/:id/confirm (secret key, or the
// publishable key with client_secret) confirms a PaymentIntent on session;
// POST /v1/3ds/authenticate {intent, client_secret, key, outcome} is what
// the challenge frame posts; POST /__test/authenticate {intent, outcome}
// does the same without a browser. outcome "succeed": a PaymentIntent is
// charged (one charge) and succeeds, a SetupIntent attaches its card and
// succeeds; "fail": requires_payment_method with last_payment_error
// (last_setup_error) code payment_intent_authentication_failure
// (setup_intent_authentication_failure); nothing charged.

import http from 'node:http';
import crypto from 'node:crypto';

const args = process.argv.slice(2);
function flag(name, def) {
  const i = args.indexOf(name);
  if (i < 0) return def;
  const v = args[i + 1];
  if (v === undefined || v.startsWith('--')) return true;
  return v;
}
const opt = {
  port: Number(flag('--port', process.env.PORT ?? '0')),
  host: flag('--host', '127.0.0.1'),
  secretKey: flag('--secret-key', process.env.STRIPE_SIM_SECRET_KEY ?? 'sk_test_stripesim'),
  publishableKey: flag('--publishable-key', 'pk_test_stripesim'),
  webhookSecret: flag('--webhook-secret', process.env.STRIPE_SIM_WEBHOOK_SECRET ?? 'whsec_stripesim'),
  webhookUrl: flag('--webhook-url', ''),
  jsPort: Number(flag('--js-port', '0')),
  hooksPort: Number(flag('--hooks-port', '0')),
  quiet: args.includes('--quiet'),
};
// The three origins, set once listening.
const origins = { js: '', hooks: '', api: '' };
if (!Number.isInteger(opt.port) || opt.port < 0 || opt.port > 65535) {
  console.error(`stripe-sim: bad port ${opt.port}`);
  process.exit(2);
}

const faultsDefault = () => ({
  latency_ms: 0, timeout: false, fail_after_commit: false, rate_limit: false,
  count: 0, match: '/v1/payment_intents',
});
let faults = faultsDefault();

let db;
function resetState() {
  db = {
    customers: new Map(), pms: new Map(), setupIntents: new Map(),
    pis: new Map(), piOrder: [], charges: new Map(), refunds: new Map(),
    events: [], idem: new Map(),
  };
}
resetState();

const CARDS = {
  '4242424242424242': 'ok',
  '4000000000000002': 'decline',
  '4000000000009995': 'insufficient_funds',
  '4000000000000069': 'expired_card',
  '4000000000000341': 'charge_fails',
  '4000002760003184': 'authenticate',
};
const MAGIC_PMS = {
  pm_card_visa: '4242424242424242',
  pm_card_chargeDeclined: '4000000000000002',
  pm_card_chargeDeclinedInsufficientFunds: '4000000000009995',
  pm_card_chargeDeclinedExpiredCard: '4000000000000069',
  pm_card_chargeCustomerFail: '4000000000000341',
  pm_card_authenticationRequired: '4000002760003184',
};
const DECLINES = {
  decline: { code: 'card_declined', decline_code: 'generic_decline', message: 'Your card was declined.' },
  charge_fails: { code: 'card_declined', decline_code: 'generic_decline', message: 'Your card was declined.' },
  insufficient_funds: { code: 'card_declined', decline_code: 'insufficient_funds',
                        message: 'Your card has insufficient funds.' },
  expired_card: { code: 'expired_card', decline_code: 'expired_card', message: 'Your card has expired.' },
};

const newId = (prefix) => `${prefix}_${crypto.randomBytes(12).toString('base64url').replace(/[-_]/g, 'x')}`;
const nowSec = () => Math.floor(Date.now() / 1000);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
function log(line) {
  if (!opt.quiet) process.stderr.write(`stripe-sim: ${line}\n`);
}

class ApiError extends Error {
  constructor(status, error, headers = {}) {
    super(error.message);
    this.status = status;
    this.body = { error };
    this.headers = headers;
  }
}
const invalid = (message, code, param, extra = {}) =>
  new ApiError(400, { type: 'invalid_request_error', ...(code ? { code } : {}), message,
                      ...(param ? { param } : {}), ...extra });
const missing = (kind, id, param) =>
  new ApiError(404, { type: 'invalid_request_error', code: 'resource_missing', message: `No such ${kind}: '${id}'`,
                      ...(param ? { param } : {}) });

// ---- form decoding (Stripe's bracket notation) ----------------------------

// Parses "a[b][0]=x&c=y" into nested objects; arrays (a[]=, a[0]=) become
// JS arrays. Throws invalid() on malformed keys or mixing shapes.
function parseForm(text) {
  const out = {};
  for (const [rawKey, value] of new URLSearchParams(text)) {
    const m = rawKey.match(/^([^[\]]+)((?:\[[^[\]]*\])*)$/);
    if (!m) throw invalid(`Invalid parameter name: ${rawKey}`, 'parameter_invalid_string', rawKey);
    const path = [m[1], ...[...m[2].matchAll(/\[([^[\]]*)\]/g)].map((x) => x[1])];
    let node = out;
    for (let i = 0; i < path.length; i++) {
      const seg = path[i];
      const last = i === path.length - 1;
      const nextIsIndex = !last && /^\d*$/.test(path[i + 1]);
      if (Array.isArray(node)) {
        const idx = seg === '' ? node.length : Number(seg);
        if (last) node[idx] = value;
        else node = node[idx] ??= nextIsIndex ? [] : {};
      } else if (last) {
        if (seg in node) throw invalid(`Received the parameter ${rawKey} more than once`, 'parameter_invalid_string', rawKey);
        node[seg] = value;
      } else {
        node = node[seg] ??= nextIsIndex ? [] : {};
        if (typeof node !== 'object') throw invalid(`Invalid value for ${rawKey}`, 'parameter_invalid_string', rawKey);
      }
    }
  }
  return out;
}

function allowOnly(params, allowed) {
  for (const k of Object.keys(params))
    if (!allowed.includes(k)) throw invalid(`Received unknown parameter: ${k}`, 'parameter_unknown', k);
}
function requireParam(params, k) {
  if (params[k] === undefined || params[k] === '')
    throw invalid(`Missing required param: ${k}.`, 'parameter_missing', k);
  return params[k];
}
function intParam(params, k, min = 0) {
  const v = params[k];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !/^\d+$/.test(v) || Number(v) < min || !Number.isSafeInteger(Number(v)))
    throw invalid(`Invalid integer: ${typeof v === 'string' ? v : k}`, 'parameter_invalid_integer', k);
  return Number(v);
}
function boolParam(params, k) {
  const v = params[k];
  if (v === undefined) return false;
  if (v !== 'true' && v !== 'false') throw invalid(`Invalid boolean: ${v}`, 'parameter_invalid_boolean', k);
  return v === 'true';
}
function enumParam(params, k, values) {
  const v = params[k];
  if (v === undefined) return undefined;
  if (!values.includes(v))
    throw invalid(`Invalid ${k}: must be one of ${values.join(', ')}`, 'parameter_invalid_string', k);
  return v;
}
function metadataParam(params) {
  const md = params.metadata ?? {};
  if (typeof md !== 'object' || Array.isArray(md)) throw invalid('Invalid hash', 'parameter_invalid_string', 'metadata');
  for (const [k, v] of Object.entries(md)) {
    if (k.length > 40) throw invalid(`Metadata key ${k} is too long`, 'parameter_invalid_string', 'metadata');
    if (typeof v !== 'string' || v.length > 500)
      throw invalid(`Metadata value for ${k} is invalid`, 'parameter_invalid_string', 'metadata');
  }
  return { ...md };
}
function expandParam(params, allowed) {
  const e = params.expand;
  if (e === undefined) return [];
  if (!Array.isArray(e)) throw invalid('Invalid array', 'parameter_invalid_string', 'expand');
  for (const x of e)
    if (!allowed.includes(x)) throw invalid(`This property cannot be expanded (${x}).`, 'parameter_invalid_string', 'expand');
  return e;
}
function pmTypesParam(params) {
  const t = params.payment_method_types;
  if (t === undefined) return ['card'];
  if (!Array.isArray(t) || t.some((x) => x !== 'card'))
    throw invalid('The simulator supports payment_method_types[]=card only', 'parameter_invalid_string',
                  'payment_method_types');
  return t;
}

// ---- objects ---------------------------------------------------------------

function luhn(num) {
  let sum = 0;
  let dbl = false;
  for (let i = num.length - 1; i >= 0; i--) {
    let d = num.charCodeAt(i) - 48;
    if (dbl) { d *= 2; if (d > 9) d -= 9; }
    sum += d;
    dbl = !dbl;
  }
  return sum % 10 === 0;
}
function brandOf(num) {
  if (num.startsWith('4')) return 'visa';
  if (/^5[1-5]/.test(num) || /^2[2-7]/.test(num)) return 'mastercard';
  if (/^3[47]/.test(num)) return 'amex';
  if (/^6(011|5)/.test(num)) return 'discover';
  return 'unknown';
}

function cardError(e, extra = {}) {
  return new ApiError(402, { type: 'card_error', ...e, ...extra });
}

// A PaymentMethod from card fields; the number is never kept, only its
// behaviour, brand and last 4.
function makePm(card) {
  const number = String(card?.number ?? '').replace(/[\s-]/g, '');
  if (!/^\d{12,19}$/.test(number) || !luhn(number))
    throw cardError({ code: 'incorrect_number', message: 'Your card number is incorrect.', param: 'card[number]' });
  const now = new Date();
  const expMonth = Number(card.exp_month ?? 12);
  let expYear = Number(card.exp_year ?? now.getUTCFullYear() + 3);
  if (expYear < 100) expYear += 2000;
  if (!Number.isInteger(expMonth) || expMonth < 1 || expMonth > 12)
    throw cardError({ code: 'invalid_expiry_month', message: "Your card's expiration month is invalid.",
                      param: 'card[exp_month]' });
  if (!Number.isInteger(expYear) || expYear < now.getUTCFullYear() ||
      (expYear === now.getUTCFullYear() && expMonth < now.getUTCMonth() + 1))
    throw cardError({ code: 'invalid_expiry_year', message: "Your card's expiration year is invalid.",
                      param: 'card[exp_year]' });
  if (card.cvc !== undefined && card.cvc !== '' && !/^\d{3,4}$/.test(String(card.cvc)))
    throw cardError({ code: 'invalid_cvc', message: "Your card's security code is invalid.", param: 'card[cvc]' });
  const pm = {
    id: newId('pm'), object: 'payment_method', type: 'card', created: nowSec(), livemode: false,
    customer: null, metadata: {}, billing_details: { address: {}, email: null, name: null, phone: null },
    card: { brand: brandOf(number), last4: number.slice(-4), exp_month: expMonth, exp_year: expYear,
            funding: 'credit', country: 'US', checks: { cvc_check: card.cvc ? 'pass' : null } },
    _behaviour: CARDS[number] ?? 'ok', _used: false,
  };
  db.pms.set(pm.id, pm);
  return pm;
}

function pmView(pm) {
  const { _behaviour, _used, ...v } = pm;
  return { ...v, card: { ...v.card } };
}

// Resolves a payment_method parameter: a magic test id makes a new one.
function resolvePm(id, param = 'payment_method') {
  if (MAGIC_PMS[id]) return makePm({ number: MAGIC_PMS[id] });
  const pm = db.pms.get(String(id));
  if (!pm) throw missing('PaymentMethod', id, param);
  return pm;
}

function getCustomer(id, param = 'customer') {
  const c = db.customers.get(String(id));
  if (!c || c.deleted) throw missing('customer', id, param);
  return c;
}

function createCustomer(p) {
  allowOnly(p, ['name', 'email', 'description', 'phone', 'metadata', 'expand']);
  expandParam(p, []);
  if (p.email !== undefined && !/^[^@\s]+@[^@\s]+$/.test(p.email))
    throw invalid(`Invalid email address: ${p.email}`, 'email_invalid', 'email');
  const c = {
    id: newId('cus'), object: 'customer', created: nowSec(), livemode: false,
    name: p.name ?? null, email: p.email ?? null, description: p.description ?? null, phone: p.phone ?? null,
    metadata: metadataParam(p), invoice_settings: { default_payment_method: null },
  };
  db.customers.set(c.id, c);
  return c;
}

function attach(pm, cust) {
  if (pm.customer && pm.customer !== cust.id)
    throw invalid('The payment method you provided has already been attached to a customer.',
                  'payment_method_unexpected_state', 'payment_method');
  if (pm._used && !pm.customer)
    throw invalid('This PaymentMethod was previously used without being attached to a Customer or was detached ' +
                  'from a Customer, and may not be used again.', 'payment_method_unexpected_state', 'payment_method');
  pm.customer = cust.id;
}

function emitEvent(type, object) {
  const ev = { id: newId('evt'), object: 'event', api_version: '2024-06-20', type, created: nowSec(),
               livemode: false, pending_webhooks: opt.webhookUrl ? 1 : 0, request: { id: null, idempotency_key: null },
               data: { object } };
  db.events.push(ev);
  if (opt.webhookUrl) deliver(ev, 0);
  return ev;
}

function sign(body, t, secrets) {
  return [`t=${t}`, ...secrets.map((s) => `v1=${crypto.createHmac('sha256', s).update(`${t}.${body}`).digest('hex')}`)]
    .join(',');
}

function deliver(ev, attempt) {
  const body = JSON.stringify(ev);
  let url;
  try { url = new URL(opt.webhookUrl); } catch { return; }
  const req = http.request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json; charset=utf-8', 'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
               'stripe-signature': sign(body, nowSec(), [opt.webhookSecret]), 'content-length': Buffer.byteLength(body) },
    timeout: 5000,
  }, (res) => {
    res.resume();
    if (res.statusCode >= 300 && attempt < 3) setTimeout(() => deliver(ev, attempt + 1), 500 * (attempt + 1));
  });
  req.on('error', () => { if (attempt < 3) setTimeout(() => deliver(ev, attempt + 1), 500 * (attempt + 1)); });
  req.on('timeout', () => req.destroy());
  req.end(body);
}

function setupIntentView(si, expand) {
  const { _pm, ...v } = si;
  if (expand.includes('payment_method') && si.payment_method) v.payment_method = pmView(db.pms.get(si.payment_method));
  return v;
}

function createSetupIntent(p) {
  allowOnly(p, ['customer', 'payment_method', 'payment_method_types', 'usage', 'confirm', 'description',
                'metadata', 'expand', 'return_url']);
  const expand = expandParam(p, ['payment_method', 'customer', 'latest_attempt']);
  const cust = p.customer !== undefined ? getCustomer(p.customer) : null;
  const usage = enumParam(p, 'usage', ['off_session', 'on_session']) ?? 'off_session';
  const confirm = boolParam(p, 'confirm');
  const types = pmTypesParam(p);
  const pm = p.payment_method !== undefined ? resolvePm(p.payment_method) : null;
  if (confirm && !pm) throw invalid('You must provide a payment_method to confirm.', 'parameter_missing', 'payment_method');
  const si = {
    id: newId('seti'), object: 'setup_intent', created: nowSec(), livemode: false,
    customer: cust?.id ?? null, payment_method: pm?.id ?? null, payment_method_types: types, usage,
    description: p.description ?? null, metadata: metadataParam(p), status: 'requires_payment_method',
    last_setup_error: null, next_action: null,
  };
  si.client_secret = `${si.id}_secret_${crypto.randomBytes(8).toString('hex')}`;
  if (pm) si.status = 'requires_confirmation';
  if (confirm) {
    db.setupIntents.set(si.id, si);
    setupConfirm(si, pm);
  }
  db.setupIntents.set(si.id, si);
  return setupIntentView(si, expand);
}

// Confirms SetupIntent si with card pm: requires_action for the 3-D Secure
// card, a card_error (thrown) for a declining one, else attached.
function setupConfirm(si, pm) {
  const cust = si.customer ? getCustomer(si.customer) : null;
  if (cust && pm.customer && pm.customer !== cust.id) attach(pm, cust); // throws
  si.last_setup_error = null;
  if (pm._behaviour === 'authenticate') {
    si.status = 'requires_action';
    si.next_action = { type: 'use_stripe_sdk', use_stripe_sdk: { type: 'three_d_secure_redirect',
                       stripe_js: `${origins.hooks}/3ds/challenge?intent=${si.id}` } };
  } else if (DECLINES[pm._behaviour] && pm._behaviour !== 'charge_fails') {
    const d = DECLINES[pm._behaviour];
    si.status = 'requires_payment_method';
    si.last_setup_error = { type: 'card_error', ...d, payment_method: pmView(pm) };
    pm._used = true;
    throw cardError(d, { setup_intent: setupIntentView(si, []) });
  } else {
    if (cust) attach(pm, cust);
    else pm._used = true;
    si.status = 'succeeded';
    emitEvent('setup_intent.succeeded', setupIntentView(si, []));
  }
}

function chargeView(ch) {
  return { ...ch, payment_method_details: { type: 'card', card: { ...ch.payment_method_details.card } } };
}

function piView(pi, expand, prefix = '') {
  const v = { ...pi, metadata: { ...pi.metadata } };
  if (expand.includes(`${prefix}latest_charge`) && pi.latest_charge) v.latest_charge = chargeView(db.charges.get(pi.latest_charge));
  if (expand.includes(`${prefix}payment_method`) && pi.payment_method) v.payment_method = pmView(db.pms.get(pi.payment_method));
  if (expand.includes(`${prefix}customer`) && pi.customer) v.customer = { ...db.customers.get(pi.customer) };
  return v;
}

const PI_EXPAND = ['latest_charge', 'payment_method', 'customer'];

function createPaymentIntent(p) {
  allowOnly(p, ['amount', 'currency', 'customer', 'payment_method', 'payment_method_types', 'confirm',
                'off_session', 'setup_future_usage', 'description', 'metadata', 'expand', 'receipt_email',
                'statement_descriptor', 'statement_descriptor_suffix', 'capture_method', 'return_url']);
  const expand = expandParam(p, PI_EXPAND);
  const amount = intParam(p, 'amount', 1) ?? (requireParam(p, 'amount'), 0);
  if (amount < 50) throw invalid('Amount must be at least $0.50 usd', 'amount_too_small', 'amount');
  const currency = String(requireParam(p, 'currency'));
  if (!/^[a-z]{3}$/.test(currency)) throw invalid(`Invalid currency: ${currency}`, 'parameter_invalid_string', 'currency');
  const cust = p.customer !== undefined ? getCustomer(p.customer) : null;
  const confirm = boolParam(p, 'confirm');
  const offSession = boolParam(p, 'off_session');
  const sfu = enumParam(p, 'setup_future_usage', ['off_session', 'on_session']);
  const types = pmTypesParam(p);
  enumParam(p, 'capture_method', ['automatic']);
  if (offSession && !confirm) throw invalid('off_session can only be used with confirm=true.', 'parameter_invalid_string', 'off_session');
  if (sfu && !cust) throw invalid('setup_future_usage requires a customer.', 'parameter_missing', 'customer');
  const pm = p.payment_method !== undefined ? resolvePm(p.payment_method) : null;
  if (confirm && !pm) throw invalid('You must provide a payment_method to confirm.', 'parameter_missing', 'payment_method');
  if (pm && pm.customer && (!cust || cust.id !== pm.customer))
    throw invalid('The provided PaymentMethod belongs to a Customer, please provide the customer in the request.',
                  'payment_method_unexpected_state', 'customer');
  if (pm && !pm.customer && pm._used)
    throw invalid('This PaymentMethod was previously used without being attached to a Customer or was detached ' +
                  'from a Customer, and may not be used again.', 'payment_method_unexpected_state', 'payment_method');
  const pi = {
    id: newId('pi'), object: 'payment_intent', amount, amount_capturable: 0, amount_received: 0, currency,
    customer: cust?.id ?? null, payment_method: pm?.id ?? null, payment_method_types: types,
    status: pm ? 'requires_confirmation' : 'requires_payment_method', confirmation_method: 'automatic',
    capture_method: 'automatic', setup_future_usage: sfu ?? null, description: p.description ?? null,
    metadata: metadataParam(p), created: nowSec(), livemode: false, latest_charge: null,
    last_payment_error: null, next_action: null, receipt_email: p.receipt_email ?? null,
  };
  pi.client_secret = `${pi.id}_secret_${crypto.randomBytes(8).toString('hex')}`;
  db.pis.set(pi.id, pi);
  db.piOrder.push(pi.id);
  if (!confirm) return piView(pi, expand);
  return confirmPi(pi, pm, offSession, expand);
}

// Records a charge of pi on its card (status "succeeded" or "failed").
function piCharge(pi, pm, status, failure) {
  const ch = {
    id: newId('ch'), object: 'charge', amount: pi.amount, amount_captured: status === 'succeeded' ? pi.amount : 0,
    amount_refunded: 0, refunded: false, currency: pi.currency, customer: pi.customer, payment_intent: pi.id,
    payment_method: pm.id, status, paid: status === 'succeeded', captured: status === 'succeeded',
    created: nowSec(), livemode: false, description: pi.description, metadata: { ...pi.metadata },
    failure_code: failure?.code ?? null, failure_message: failure?.message ?? null,
    outcome: { type: status === 'succeeded' ? 'authorized' : 'issuer_declined',
               network_status: status === 'succeeded' ? 'approved_by_network' : 'declined_by_network' },
    payment_method_details: { type: 'card', card: { brand: pm.card.brand, last4: pm.card.last4,
                                                    exp_month: pm.card.exp_month, exp_year: pm.card.exp_year } },
  };
  db.charges.set(ch.id, ch);
  pi.latest_charge = ch.id;
  return ch;
}

// The PaymentIntent succeeds: one charge, the card kept when asked.
function piSucceed(pi, pm) {
  const ch = piCharge(pi, pm, 'succeeded');
  pi.status = 'succeeded';
  pi.amount_received = pi.amount;
  pi.next_action = null;
  pi.last_payment_error = null;
  if (pi.setup_future_usage && pi.customer && !pm.customer) attach(pm, getCustomer(pi.customer));
  else if (!pm.customer) pm._used = true;
  emitEvent('payment_intent.succeeded', piView(pi, []));
  emitEvent('charge.succeeded', chargeView(ch));
  return ch;
}

// Confirms pi with card pm, on or off session, as Stripe does.
function confirmPi(pi, pm, offSession, expand) {
  pi.payment_method = pm.id;
  pi.last_payment_error = null;
  // An unattached PaymentMethod is spent by any confirmation, unless a
  // successful one attaches it (setup_future_usage with a customer).
  const consume = () => { if (!pm.customer) pm._used = true; };
  if (pm._behaviour === 'authenticate') {
    if (offSession) {
      consume();
      const e = { code: 'authentication_required', decline_code: 'authentication_required',
                  message: 'Your card was declined. This transaction requires authentication.' };
      piCharge(pi, pm, 'failed', e);
      pi.status = 'requires_payment_method';
      pi.last_payment_error = { type: 'card_error', ...e, payment_method: pmView(pm) };
      emitEvent('payment_intent.payment_failed', piView(pi, []));
      throw cardError(e, { payment_intent: piView(pi, expand), payment_method: pmView(pm) });
    }
    pi.status = 'requires_action';
    pi.next_action = { type: 'use_stripe_sdk', use_stripe_sdk: { type: 'three_d_secure_redirect',
                       stripe_js: `${origins.hooks}/3ds/challenge?intent=${pi.id}` } };
    emitEvent('payment_intent.requires_action', piView(pi, []));
    return piView(pi, expand);
  }
  const d = DECLINES[pm._behaviour];
  if (d) {
    consume();
    piCharge(pi, pm, 'failed', d);
    pi.status = 'requires_payment_method';
    pi.last_payment_error = { type: 'card_error', ...d, payment_method: pmView(pm) };
    emitEvent('payment_intent.payment_failed', piView(pi, []));
    throw cardError(d, { charge: pi.latest_charge, payment_intent: piView(pi, expand), payment_method: pmView(pm) });
  }
  piSucceed(pi, pm);
  return piView(pi, expand);
}

// POST /v1/payment_intents/:id/confirm: the server (secret key) or Stripe.js
// (publishable key and the client secret), e.g. an off-session payment that
// needs authentication brought back on session (confirmCardPayment).
function confirmPaymentIntent(pi, p, isPublishable) {
  allowOnly(p, ['payment_method', 'client_secret', 'off_session', 'return_url', 'expand', 'use_stripe_sdk']);
  const expand = expandParam(p, PI_EXPAND);
  if (isPublishable) checkClientSecret(pi, p.client_secret);
  if (pi.status !== 'requires_payment_method' && pi.status !== 'requires_confirmation')
    throw invalid(`This PaymentIntent's status is ${pi.status}; it cannot be confirmed.`,
                  'payment_intent_unexpected_state', undefined, { payment_intent: piView(pi, []) });
  const pm = p.payment_method !== undefined ? resolvePm(p.payment_method)
    : pi.payment_method ? db.pms.get(pi.payment_method) : null;
  if (!pm) throw invalid('You must provide a payment_method to confirm.', 'parameter_missing', 'payment_method');
  if (pm.customer && pm.customer !== pi.customer)
    throw invalid('The provided PaymentMethod belongs to another Customer.', 'payment_method_unexpected_state', 'payment_method');
  if (!pm.customer && pm._used)
    throw invalid('This PaymentMethod was previously used without being attached to a Customer or was detached ' +
                  'from a Customer, and may not be used again.', 'payment_method_unexpected_state', 'payment_method');
  return confirmPi(pi, pm, boolParam(p, 'off_session'), expand);
}

// POST /v1/setup_intents/:id/confirm (confirmCardSetup with a card).
function confirmSetupIntent(si, p, isPublishable) {
  allowOnly(p, ['payment_method', 'client_secret', 'return_url', 'expand', 'use_stripe_sdk']);
  const expand = expandParam(p, ['payment_method']);
  if (isPublishable) checkClientSecret(si, p.client_secret);
  if (si.status !== 'requires_payment_method' && si.status !== 'requires_confirmation')
    throw invalid(`This SetupIntent's status is ${si.status}; it cannot be confirmed.`, 'setup_intent_unexpected_state');
  const pm = p.payment_method !== undefined ? resolvePm(p.payment_method)
    : si.payment_method ? db.pms.get(si.payment_method) : null;
  if (!pm) throw invalid('You must provide a payment_method to confirm.', 'parameter_missing', 'payment_method');
  si.payment_method = pm.id;
  setupConfirm(si, pm);
  return setupIntentView(si, expand);
}

function checkClientSecret(obj, secret) {
  if (typeof secret !== 'string' || !safeEqual(secret, obj.client_secret))
    throw invalid('The client_secret provided does not match the client_secret associated with this object.',
                  'parameter_invalid_string', 'client_secret');
}

// The client passed or failed the 3-D Secure challenge of intent (a
// PaymentIntent or SetupIntent in requires_action).
function authenticate(id, outcome) {
  if (outcome !== 'succeed' && outcome !== 'fail')
    throw invalid('outcome must be succeed or fail', 'parameter_invalid_string', 'outcome');
  const si = db.setupIntents.get(String(id));
  const pi = si ? null : getPi(id, 'intent');
  const obj = si ?? pi;
  if (obj.status !== 'requires_action')
    throw invalid(`This ${si ? 'SetupIntent' : 'PaymentIntent'}'s status is ${obj.status}: no challenge is open.`,
                  `${si ? 'setup' : 'payment'}_intent_unexpected_state`);
  const pm = db.pms.get(obj.payment_method);
  obj.next_action = null;
  if (outcome === 'succeed') {
    if (pi) {
      piSucceed(pi, pm);
      return piView(pi, []);
    }
    if (si.customer) attach(pm, getCustomer(si.customer));
    si.status = 'succeeded';
    emitEvent('setup_intent.succeeded', setupIntentView(si, []));
    return setupIntentView(si, []);
  }
  const e = { type: 'card_error', code: `${si ? 'setup' : 'payment'}_intent_authentication_failure`,
              message: 'We are unable to authenticate your payment method. Please choose a different payment ' +
                       'method and try again.', payment_method: pmView(pm) };
  obj.status = 'requires_payment_method';
  if (pi) {
    pi.last_payment_error = e;
    emitEvent('payment_intent.payment_failed', piView(pi, []));
    return piView(pi, []);
  }
  si.last_setup_error = e;
  emitEvent('setup_intent.setup_failed', setupIntentView(si, []));
  return setupIntentView(si, []);
}

function getPi(id, param) {
  const pi = db.pis.get(String(id));
  if (!pi) throw missing('payment_intent', id, param);
  return pi;
}

function createRefund(p) {
  allowOnly(p, ['payment_intent', 'charge', 'amount', 'reason', 'metadata', 'expand']);
  expandParam(p, ['charge', 'payment_intent']);
  if ((p.payment_intent === undefined) === (p.charge === undefined))
    throw invalid('You must pass exactly one of payment_intent or charge.', 'parameter_missing', 'payment_intent');
  let ch;
  if (p.payment_intent !== undefined) {
    const pi = getPi(p.payment_intent, 'payment_intent');
    if (pi.status !== 'succeeded' || !pi.latest_charge)
      throw invalid(`This PaymentIntent (${pi.id}) does not have a successful charge to refund.`,
                    'charge_not_refundable', 'payment_intent');
    ch = db.charges.get(pi.latest_charge);
  } else {
    ch = db.charges.get(String(p.charge));
    if (!ch) throw missing('charge', p.charge, 'charge');
  }
  const reason = enumParam(p, 'reason', ['duplicate', 'fraudulent', 'requested_by_customer']);
  const left = ch.amount - ch.amount_refunded;
  if (left === 0) throw invalid(`Charge ${ch.id} has already been refunded.`, 'charge_already_refunded', 'amount');
  const amount = intParam(p, 'amount', 1) ?? left;
  if (amount > left)
    throw invalid(`Refund amount ($${(amount / 100).toFixed(2)}) is greater than unrefunded amount on charge ` +
                  `($${(left / 100).toFixed(2)})`, 'amount_too_large', 'amount');
  const re = { id: newId('re'), object: 'refund', amount, charge: ch.id, payment_intent: ch.payment_intent,
               currency: ch.currency, status: 'succeeded', reason: reason ?? null, metadata: metadataParam(p),
               created: nowSec(), balance_transaction: null };
  ch.amount_refunded += amount;
  ch.refunded = ch.amount_refunded === ch.amount;
  db.refunds.set(re.id, re);
  emitEvent('refund.created', { ...re });
  emitEvent('charge.refunded', chargeView(ch));
  return re;
}

function listPis(q) {
  for (const k of q.keys())
    if (!['limit', 'created[gte]', 'created[lte]', 'created[gt]', 'created[lt]', 'starting_after', 'ending_before',
          'customer', 'expand[]', 'expand[0]', 'expand[1]', 'expand[2]'].includes(k))
      throw invalid(`Received unknown parameter: ${k}`, 'parameter_unknown', k);
  const expand = [...q.entries()].filter(([k]) => k.startsWith('expand[')).map(([, v]) => v);
  for (const x of expand)
    if (!PI_EXPAND.map((e) => `data.${e}`).includes(x))
      throw invalid(`This property cannot be expanded (${x}).`, 'parameter_invalid_string', 'expand');
  const limit = q.has('limit') ? Number(q.get('limit')) : 10;
  if (!Number.isInteger(limit) || limit < 1 || limit > 100)
    throw invalid('Invalid integer: limit must be 1 to 100', 'parameter_invalid_integer', 'limit');
  const num = (k) => {
    if (!q.has(k)) return null;
    if (!/^\d+$/.test(q.get(k))) throw invalid(`Invalid integer: ${q.get(k)}`, 'parameter_invalid_integer', k);
    return Number(q.get(k));
  };
  const gte = num('created[gte]'), lte = num('created[lte]'), gt = num('created[gt]'), lt = num('created[lt]');
  let list = [...db.piOrder].reverse().map((id) => db.pis.get(id)).filter((pi) =>
    (gte == null || pi.created >= gte) && (lte == null || pi.created <= lte) &&
    (gt == null || pi.created > gt) && (lt == null || pi.created < lt) &&
    (!q.has('customer') || pi.customer === q.get('customer')));
  if (q.has('starting_after')) {
    const i = list.findIndex((pi) => pi.id === q.get('starting_after'));
    if (i < 0) throw missing('payment_intent', q.get('starting_after'), 'starting_after');
    list = list.slice(i + 1);
  }
  return { object: 'list', url: '/v1/payment_intents', has_more: list.length > limit,
           data: list.slice(0, limit).map((pi) => piView(pi, expand, 'data.')) };
}

// ---- HTTP plumbing ---------------------------------------------------------

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let n = 0;
    req.on('data', (c) => {
      n += c.length;
      if (n > 65536) { reject(invalid('Request body too large')); req.destroy(); return; }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res, status, body, headers = {}) {
  if (res.writableEnded || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text),
                          'request-id': newId('req'), 'stripe-version': '2024-06-20',
                          'access-control-allow-origin': '*', ...headers });
  res.end(text);
}

// The API key of a request: Basic (key as user name, empty password) or
// Bearer, as https://docs.stripe.com/api/authentication.
function apiKey(req) {
  const h = req.headers.authorization ?? '';
  if (h.startsWith('Bearer ')) return h.slice(7);
  if (h.startsWith('Basic ')) {
    const dec = Buffer.from(h.slice(6), 'base64').toString('utf8');
    const i = dec.indexOf(':');
    return i < 0 ? dec : dec.slice(0, i);
  }
  return null;
}
function safeEqual(a, b) {
  const x = Buffer.from(String(a));
  const y = Buffer.from(String(b));
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}

function takeFault(method, path) {
  if (method !== 'POST' || !path.startsWith(faults.match || '/v1/payment_intents')) return null;
  if (!faults.timeout && !faults.fail_after_commit && !faults.rate_limit) return null;
  const f = { timeout: faults.timeout, fail_after_commit: faults.fail_after_commit, rate_limit: faults.rate_limit };
  if (faults.count > 0) {
    faults.count -= 1;
    if (faults.count === 0) faults = { ...faultsDefault(), latency_ms: faults.latency_ms };
  }
  return f;
}

// Canonical text of the parameters, for the idempotency fingerprint.
function canon(v) {
  if (Array.isArray(v)) return `[${v.map(canon).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.keys(v).sort().map((k) => `${k}:${canon(v[k])}`).join(',')}}`;
  return JSON.stringify(v);
}

async function handleAdmin(req, res, method, path, text) {
  if (method === 'GET' && path === '/__admin/ledger') {
    return send(res, 200, {
      payment_intents: db.piOrder.map((id) => piView(db.pis.get(id), ['latest_charge'])),
      charges: [...db.charges.values()].map(chargeView), refunds: [...db.refunds.values()],
      setup_intents: [...db.setupIntents.values()].map((si) => setupIntentView(si, [])),
    });
  }
  if (method === 'GET' && path === '/__admin/events') return send(res, 200, { events: db.events });
  if (method === 'GET' && path === '/__admin/faults') return send(res, 200, faults);
  const body = text ? JSON.parse(text) : {};
  if (method === 'POST' && path === '/__admin/faults') {
    const f = faultsDefault();
    for (const k of Object.keys(body)) {
      if (!(k in f)) throw invalid(`unknown fault knob "${k}"`);
      f[k] = body[k];
    }
    f.latency_ms = Number(f.latency_ms) || 0;
    f.count = Number(f.count) || 0;
    faults = f;
    return send(res, 200, faults);
  }
  if (method === 'POST' && path === '/__admin/config') {
    if ('webhook_url' in body) opt.webhookUrl = String(body.webhook_url ?? '');
    return send(res, 200, { webhook_url: opt.webhookUrl });
  }
  if (method === 'POST' && path === '/__admin/reset') {
    resetState();
    faults = faultsDefault();
    return send(res, 200, { ok: true });
  }
  if (method === 'POST' && path === '/__test/authenticate') return send(res, 200, authenticate(body.intent, body.outcome));
  if (method === 'POST' && path === '/__test/payment_methods')
    return send(res, 200, pmView(makePm(body)));
  if (method === 'POST' && (path === '/__test/webhook' || path === '/__test/dispute')) {
    const pi = getPi(body.payment_intent, 'payment_intent');
    let type, object;
    if (path === '/__test/dispute') {
      if (!pi.latest_charge) throw invalid('no charge to dispute');
      const ch = db.charges.get(pi.latest_charge);
      type = 'charge.dispute.created';
      object = { id: newId('dp'), object: 'dispute', amount: ch.amount, charge: ch.id, currency: ch.currency,
                 payment_intent: pi.id, reason: 'fraudulent', status: 'needs_response', created: nowSec() };
    } else {
      type = body.type ?? (pi.status === 'succeeded' ? 'payment_intent.succeeded'
        : pi.status === 'requires_action' ? 'payment_intent.requires_action' : 'payment_intent.payment_failed');
      object = type === 'charge.refunded' ? chargeView(db.charges.get(pi.latest_charge)) : piView(pi, []);
    }
    const ev = { id: newId('evt'), object: 'event', api_version: '2024-06-20', type, created: nowSec(),
                 livemode: false, pending_webhooks: 0, request: { id: null, idempotency_key: null },
                 data: { object } };
    db.events.push(ev);
    const raw = JSON.stringify(ev, null, 2); // Stripe sends pretty-printed JSON
    const t = body.timestamp ?? nowSec();
    return send(res, 200, { headers: { 'Stripe-Signature': sign(raw, t, [opt.webhookSecret, ...(body.secrets ?? [])]) },
                            body: raw, event: ev });
  }
  return send(res, 404, { error: { type: 'invalid_request_error', message: 'Unrecognized request URL' } });
}

async function handle(req, res, role) {
  const url = new URL(req.url, 'http://sim');
  const path = url.pathname;
  const method = req.method;

  if (method === 'OPTIONS') {
    res.writeHead(204, { 'access-control-allow-origin': '*', 'access-control-allow-methods': 'GET, POST',
                         'access-control-allow-headers': 'content-type', 'access-control-max-age': '600' });
    return res.end();
  }
  // Each origin serves its own part; the api origin serves everything (a
  // one-origin layout, as before the three ports).
  if (role !== 'hooks') {
    if (method === 'GET' && path === '/v3') return serveJs(res);
    if (method === 'GET' && path === '/v3/card-frame') return serveFrame(res);
    if (method === 'GET' && path === '/v3/card-frame.js') return serveFrameJs(res);
  }
  if (role !== 'js') {
    if (method === 'GET' && path === '/3ds/challenge') return serveChallenge(res, url.searchParams);
    if (method === 'GET' && path === '/3ds/challenge.js') return serveChallengeJs(res);
  }
  if (role !== 'api')
    throw new ApiError(404, { type: 'invalid_request_error', message: `Unrecognized request URL (${method}: ${path}).` });

  const text = await readBody(req);
  if (path.startsWith('/__admin/') || path.startsWith('/__test/')) return handleAdmin(req, res, method, path, text);
  if (!path.startsWith('/v1/'))
    throw new ApiError(404, { type: 'invalid_request_error', message: `Unrecognized request URL (${method}: ${path}).` });

  if (faults.latency_ms > 0 && method !== 'POST') await sleep(faults.latency_ms);

  const ctype = (req.headers['content-type'] ?? '').split(';')[0].trim();
  // Stripe.js sends the publishable key as "key" (body or query), so its
  // calls need no CORS preflight.
  let key = apiKey(req);
  let keyInBody = false;
  if (!key && method === 'GET') key = url.searchParams.get('key');
  if (!key && method === 'POST' && ctype === 'application/x-www-form-urlencoded') {
    key = new URLSearchParams(text).get('key');
    keyInBody = key !== null;
  }
  if (!key)
    throw new ApiError(401, { type: 'invalid_request_error',
      message: 'You did not provide an API key. You need to provide your API key in the Authorization header, ' +
               'using Bearer auth (e.g. \'Authorization: Bearer YOUR_SECRET_KEY\').' });
  const isSecret = safeEqual(key, opt.secretKey);
  const isPublishable = safeEqual(key, opt.publishableKey);
  if (!isSecret && !isPublishable)
    throw new ApiError(401, { type: 'invalid_request_error', code: 'api_key_invalid',
                              message: `Invalid API Key provided: ${String(key).slice(0, 8)}****` });
  if (keyInBody && !isPublishable)
    throw invalid('A secret key may not be sent in the request body.', 'secret_key_in_body');
  const v = req.headers['stripe-version'];
  if (v !== undefined && !/^\d{4}-\d{2}-\d{2}(\.[a-z]+)?$/.test(v))
    throw invalid(`Invalid Stripe API version: ${v}`, 'api_version_invalid');

  // What Stripe.js may do with a publishable key.
  const PUBLIC = [/^POST \/v1\/payment_methods$/, /^GET \/v1\/(payment|setup)_intents\/\w+$/,
                  /^POST \/v1\/(payment|setup)_intents\/\w+\/confirm$/, /^POST \/v1\/3ds\/authenticate$/];
  if (isPublishable && (!PUBLIC.some((re) => re.test(`${method} ${path}`)) ||
                        (method === 'GET' && !url.searchParams.get('client_secret'))))
    throw new ApiError(401, { type: 'invalid_request_error', code: 'secret_key_required',
      message: 'This API call cannot be made with a publishable API key. Please use a secret API key.' });

  if (method === 'GET') {
    if (isPublishable) {
      const m = path.match(/^\/v1\/(payment|setup)_intents\/(\w+)$/);
      const obj = m[1] === 'payment' ? getPi(m[2], 'intent') : db.setupIntents.get(m[2]);
      if (!obj) throw missing('setupintent', m[2], 'intent');
      checkClientSecret(obj, url.searchParams.get('client_secret'));
    }
    const q = new URLSearchParams(url.searchParams);
    q.delete('key');
    q.delete('client_secret');
    return send(res, 200, get(path, q));
  }
  if (method === 'DELETE') {
    const m = path.match(/^\/v1\/customers\/(\w+)$/);
    if (!m) throw new ApiError(404, { type: 'invalid_request_error', message: `Unrecognized request URL (${method}: ${path}).` });
    const c = getCustomer(m[1], 'id');
    c.deleted = true;
    return send(res, 200, { id: c.id, object: 'customer', deleted: true });
  }
  if (method !== 'POST')
    throw new ApiError(405, { type: 'invalid_request_error', message: `Unrecognized request URL (${method}: ${path}).` });

  if (text.length > 0 && ctype !== 'application/x-www-form-urlencoded')
    throw invalid('Invalid request: the body must be application/x-www-form-urlencoded.', 'parameter_invalid_string');
  const idem = req.headers['idempotency-key'];
  if (idem === undefined && !isPublishable)
    throw invalid('The simulator requires an Idempotency-Key header on every POST (the plugin promises one).',
                  'idempotency_key_missing');
  if (idem !== undefined && (idem.length === 0 || idem.length > 255))
    throw invalid('Idempotency-Key must be 1 to 255 characters.', 'idempotency_key_invalid');
  const params = parseForm(text);
  if (keyInBody) delete params.key;

  const fault = takeFault(method, path);
  if (fault?.rate_limit)
    throw new ApiError(429, { type: 'invalid_request_error', code: 'rate_limit',
      message: 'Too many requests hit the API too quickly. We recommend an exponential backoff of your requests.' },
      { 'retry-after': '1' });

  let slot = null;
  const fp = crypto.createHash('sha256').update(`${method} ${path} ${canon(params)}`).digest('hex');
  if (idem !== undefined) {
    const prev = db.idem.get(idem);
    if (prev) {
      if (prev.fingerprint !== fp)
        throw new ApiError(400, { type: 'idempotency_error',
          message: 'Keys for idempotent requests can only be used with the same parameters they were first used ' +
                   `with. Try using a key other than '${idem}' if you meant to execute a different request.` });
      if (prev.inflight)
        throw new ApiError(409, { type: 'idempotency_error', code: 'idempotency_key_in_use',
          message: 'There is currently another in-progress request using this Idempotent Key (that probably means ' +
                   'you submitted twice, and the other request is still going through): ' +
                   `${idem}. Please try again later.` });
      return send(res, prev.status, prev.body, { 'idempotent-replayed': 'true', 'idempotency-key': idem });
    }
    slot = { fingerprint: fp, inflight: true, status: 0, body: null };
    db.idem.set(idem, slot);
  }
  if (faults.latency_ms > 0) await sleep(faults.latency_ms);

  let status = 200;
  let answer;
  let validation = false;
  try {
    answer = post(path, params, isPublishable);
  } catch (e) {
    if (!(e instanceof ApiError)) { db.idem.delete(idem); throw e; }
    status = e.status;
    answer = e.body;
    validation = e.status === 400 || e.status === 404;
  }
  if (fault?.fail_after_commit && status < 400) {
    status = 500;
    answer = { error: { type: 'api_error', message: 'An unknown error occurred' } };
  }
  if (slot && validation) db.idem.delete(idem); // nothing executed: not saved
  else if (slot) Object.assign(slot, { inflight: false, status, body: answer });
  if (fault?.timeout) return; // hold the answer until the client gives up
  return send(res, status, answer, idem ? { 'idempotency-key': idem } : {});
}

function get(path, q) {
  let m;
  const expand = [...q.entries()].filter(([k]) => k === 'expand[]' || /^expand\[\d+\]$/.test(k)).map(([, v]) => v);
  if (path === '/v1/payment_intents') return listPis(q);
  if ((m = path.match(/^\/v1\/payment_intents\/(\w+)$/))) {
    for (const x of expand)
      if (!PI_EXPAND.includes(x)) throw invalid(`This property cannot be expanded (${x}).`, 'parameter_invalid_string', 'expand');
    return piView(getPi(m[1], 'intent'), expand);
  }
  if ((m = path.match(/^\/v1\/setup_intents\/(\w+)$/))) {
    const si = db.setupIntents.get(m[1]);
    if (!si) throw missing('setupintent', m[1], 'intent');
    return setupIntentView(si, expand);
  }
  if ((m = path.match(/^\/v1\/customers\/(\w+)$/))) return getCustomer(m[1], 'id');
  if ((m = path.match(/^\/v1\/payment_methods\/(\w+)$/))) {
    const pm = db.pms.get(m[1]);
    if (!pm) throw missing('PaymentMethod', m[1], 'payment_method');
    return pmView(pm);
  }
  if ((m = path.match(/^\/v1\/customers\/(\w+)\/payment_methods$/)) || path === '/v1/payment_methods') {
    const cust = getCustomer(m ? m[1] : q.get('customer') ?? '', 'customer');
    const data = [...db.pms.values()].filter((pm) => pm.customer === cust.id).reverse().map(pmView);
    return { object: 'list', url: path, has_more: false, data };
  }
  if ((m = path.match(/^\/v1\/charges\/(\w+)$/))) {
    const ch = db.charges.get(m[1]);
    if (!ch) throw missing('charge', m[1], 'id');
    return chargeView(ch);
  }
  if ((m = path.match(/^\/v1\/refunds\/(\w+)$/))) {
    const re = db.refunds.get(m[1]);
    if (!re) throw missing('refund', m[1], 'id');
    return re;
  }
  throw new ApiError(404, { type: 'invalid_request_error', message: `Unrecognized request URL (GET: ${path}).` });
}

function post(path, p, isPublishable) {
  let m;
  if (path === '/v1/payment_methods') {
    allowOnly(p, ['type', 'card', 'billing_details', 'metadata']);
    if (p.type !== 'card') throw invalid('Invalid type: must be card', 'parameter_invalid_string', 'type');
    const card = p.card ?? {};
    for (const k of Object.keys(card))
      if (!['number', 'exp_month', 'exp_year', 'cvc'].includes(k))
        throw invalid(`Received unknown parameter: card[${k}]`, 'parameter_unknown', `card[${k}]`);
    if (!isPublishable && card.number)
      throw invalid('Sending credit card numbers directly to the Stripe API is generally unsafe. Use Stripe.js.',
                    'unsafe_card_data', 'card[number]');
    return pmView(makePm(card));
  }
  if (path === '/v1/customers') return createCustomer(p);
  if (path === '/v1/setup_intents') return createSetupIntent(p);
  if (path === '/v1/payment_intents') return createPaymentIntent(p);
  if (path === '/v1/refunds') return createRefund(p);
  if ((m = path.match(/^\/v1\/payment_intents\/(\w+)\/confirm$/)))
    return confirmPaymentIntent(getPi(m[1], 'intent'), p, isPublishable);
  if ((m = path.match(/^\/v1\/setup_intents\/(\w+)\/confirm$/))) {
    const si = db.setupIntents.get(m[1]);
    if (!si) throw missing('setupintent', m[1], 'intent');
    return confirmSetupIntent(si, p, isPublishable);
  }
  if (path === '/v1/3ds/authenticate') {
    allowOnly(p, ['intent', 'client_secret', 'outcome']);
    const id = String(requireParam(p, 'intent'));
    const obj = db.setupIntents.get(id) ?? getPi(id, 'intent');
    checkClientSecret(obj, p.client_secret);
    return authenticate(id, p.outcome);
  }
  if ((m = path.match(/^\/v1\/payment_methods\/(\w+)\/attach$/))) {
    allowOnly(p, ['customer', 'expand']);
    const pm = resolvePm(m[1]);
    attach(pm, getCustomer(requireParam(p, 'customer')));
    return pmView(pm);
  }
  if ((m = path.match(/^\/v1\/payment_methods\/(\w+)\/detach$/))) {
    allowOnly(p, ['expand']);
    const pm = db.pms.get(m[1]);
    if (!pm) throw missing('PaymentMethod', m[1], 'payment_method');
    if (!pm.customer) throw invalid('The payment method you provided is not attached to a customer so detachment is impossible.',
                                    'payment_method_unexpected_state');
    pm.customer = null;
    pm._used = true;
    return pmView(pm);
  }
  throw new ApiError(404, { type: 'invalid_request_error', message: `Unrecognized request URL (POST: ${path}).` });
}

// ---- stand-in Stripe.js -------------------------------------------------------

// The script, with the simulator's origins. Loaded from the js origin it
// uses the hooks origin for challenges and the api origin for calls; loaded
// from anywhere else (the one-origin layout) it uses that origin for all.
// Styles are set through CSSOM, never as style attributes, so a page with a
// strict style-src raises no CSP violation.
function stripeJs() {
  return `// Stand-in Stripe.js of the local Stripe simulator: Stripe(pk).elements()
// .create('card').mount(el); createPaymentMethod, confirmCardSetup,
// handleNextAction and confirmCardPayment. The card fields live in an
// iframe of the script's origin; the page gets only ids.
(function () {
  var ORIGIN = new URL(document.currentScript.src).origin;
  var SPLIT = ORIGIN === ${JSON.stringify(origins.js)};
  var HOOKS = SPLIT ? ${JSON.stringify(origins.hooks)} : ORIGIN;
  var API = SPLIT ? ${JSON.stringify(origins.api)} : ORIGIN;
  function form(o) {
    var b = new URLSearchParams();
    for (var k in o) if (o[k] !== undefined && o[k] !== null) b.append(k, o[k]);
    return b.toString();
  }
  function api(method, path, pk, params) {
    var opts = { method: method };
    var url = API + path;
    if (method === 'GET') url += '?' + form(Object.assign({ key: pk }, params));
    else {
      opts.headers = { 'content-type': 'application/x-www-form-urlencoded' };
      opts.body = form(Object.assign({ key: pk }, params));
    }
    return fetch(url, opts).then(function (r) { return r.json(); });
  }
  function idOf(secret) { return String(secret || '').split('_secret_')[0]; }
  function Stripe(pk) {
    if (!(this instanceof Stripe)) return new Stripe(pk);
    var self = this, frame = null, seq = 0, pending = {};
    window.addEventListener('message', function (ev) {
      var m = ev.data || {};
      if (frame && ev.origin === ORIGIN && ev.source === frame.contentWindow && pending[m.id]) {
        var p = pending[m.id];
        delete pending[m.id];
        p(m.error ? { error: m.error } : { paymentMethod: m.paymentMethod });
      }
    });
    function element() {
      return {
        mount: function (el) {
          if (typeof el === 'string') el = document.querySelector(el);
          frame = document.createElement('iframe');
          frame.src = ORIGIN + '/v3/card-frame?pk=' + encodeURIComponent(pk) + '&parent=' +
            encodeURIComponent(window.location.origin) + '&api=' + encodeURIComponent(API);
          frame.title = 'Secure card payment input frame';
          frame.style.border = '0';
          frame.style.width = '100%';
          frame.style.height = '150px';
          el.appendChild(frame);
        },
        on: function () {}, focus: function () {}, clear: function () {},
        destroy: function () { if (frame) frame.remove(); frame = null; },
        unmount: function () { if (frame) frame.remove(); frame = null; }
      };
    }
    this.elements = function () { return { create: element, getElement: function () { return null; },
                                            submit: function () { return Promise.resolve({}); } }; };
    this.createPaymentMethod = function () {
      return new Promise(function (resolve) {
        if (!frame) return resolve({ error: { type: 'validation_error', message: 'No card element is mounted.' } });
        var id = ++seq;
        pending[id] = resolve;
        frame.contentWindow.postMessage({ type: 'stripe-sim-create', id: id }, ORIGIN);
      });
    };
    // The challenge: a frame of the hooks origin over the page, as Stripe
    // shows its 3-D Secure modal. Resolves 'done' or 'canceled'.
    function challenge(intent, secret) {
      return new Promise(function (resolve) {
        var box = document.createElement('div'), f = document.createElement('iframe');
        var close = document.createElement('button');
        box.setAttribute('role', 'dialog');
        box.setAttribute('aria-label', 'Authenticate your payment');
        box.className = 'stripe-sim-3ds';
        box.style.position = 'fixed';
        box.style.left = '0'; box.style.top = '0'; box.style.right = '0'; box.style.bottom = '0';
        box.style.background = 'rgba(0,0,0,0.5)';
        box.style.zIndex = '2147483647';
        f.title = '3D Secure authentication';
        f.src = HOOKS + '/3ds/challenge?intent=' + encodeURIComponent(intent) + '&client_secret=' +
          encodeURIComponent(secret) + '&pk=' + encodeURIComponent(pk) + '&parent=' +
          encodeURIComponent(window.location.origin) + '&api=' + encodeURIComponent(API);
        f.style.border = '0'; f.style.background = '#fff';
        f.style.width = '400px'; f.style.height = '300px'; f.style.maxWidth = '95%';
        f.style.display = 'block'; f.style.margin = '10vh auto 0';
        close.type = 'button';
        close.textContent = 'Cancel authentication';
        close.style.display = 'block'; close.style.margin = '8px auto';
        function done(how) {
          window.removeEventListener('message', onmsg);
          box.remove();
          resolve(how);
        }
        function onmsg(ev) {
          if (ev.origin !== HOOKS || ev.source !== f.contentWindow) return;
          if ((ev.data || {}).type === 'stripe-sim-3ds-done') done('done');
        }
        window.addEventListener('message', onmsg);
        close.addEventListener('click', function () { done('canceled'); });
        box.appendChild(f);
        box.appendChild(close);
        document.body.appendChild(box);
      });
    }
    function answer(kind, obj) {
      var r = {};
      if (obj.error) return { error: obj.error };
      r[kind] = obj;
      var e = obj.last_payment_error || obj.last_setup_error;
      if (obj.status === 'requires_payment_method' && e) return { error: Object.assign({}, e, (function () {
        var x = {}; x[kind] = obj; return x; })()) };
      return r;
    }
    // Performs the next action of the intent behind secret (3-D Secure).
    this.handleNextAction = function (opts) {
      var secret = opts && opts.clientSecret, id = idOf(secret);
      var kind = id.indexOf('seti_') === 0 ? 'setupIntent' : 'paymentIntent';
      var path = (kind === 'setupIntent' ? '/v1/setup_intents/' : '/v1/payment_intents/') + id;
      return api('GET', path, pk, { client_secret: secret }).then(function (obj) {
        if (obj.error || obj.status !== 'requires_action') return answer(kind, obj);
        return challenge(id, secret).then(function (how) {
          return api('GET', path, pk, { client_secret: secret }).then(function (now) {
            if (how === 'canceled' && now.status === 'requires_action')
              return { error: { type: 'card_error', code: kind === 'setupIntent' ?
                'setup_intent_authentication_failure' : 'payment_intent_authentication_failure',
                message: 'The authentication was canceled.' } };
            return answer(kind, now);
          });
        });
      });
    };
    function confirmWith(kind, secret, data) {
      var id = idOf(secret);
      var path = (kind === 'setupIntent' ? '/v1/setup_intents/' : '/v1/payment_intents/') + id;
      var pmp = data && data.payment_method;
      var pmId = typeof pmp === 'string' ? Promise.resolve(pmp)
        : pmp && pmp.card ? self.createPaymentMethod({ type: 'card', card: pmp.card }).then(function (r) {
          if (r.error) throw r;
          return r.paymentMethod.id;
        }) : Promise.resolve(undefined);
      return pmId.then(function (pm) {
        return api('POST', path + '/confirm', pk, { client_secret: secret, payment_method: pm });
      }).then(function (obj) {
        if (obj.error) return { error: obj.error };
        if (obj.status === 'requires_action') return self.handleNextAction({ clientSecret: secret });
        return answer(kind, obj);
      }, function (r) { return r && r.error ? r : { error: { type: 'api_connection_error', message: String(r) } }; });
    }
    this.confirmCardPayment = function (secret, data) { return confirmWith('paymentIntent', secret, data); };
    this.confirmCardSetup = function (secret, data) { return confirmWith('setupIntent', secret, data); };
  }
  window.Stripe = Stripe;
})();
`;
}

const FRAME_JS = `(function () {
  var q = new URLSearchParams(window.location.search), pk = q.get('pk') || '', parent = q.get('parent') || '';
  var api = q.get('api') || window.location.origin;
  function v(id) { return document.getElementById(id).value.trim(); }
  window.addEventListener('message', function (ev) {
    if (ev.origin !== parent || ev.source !== window.parent) return;
    var m = ev.data || {};
    if (m.type !== 'stripe-sim-create') return;
    var exp = v('exp').split('/');
    var body = new URLSearchParams({ key: pk, type: 'card', 'card[number]': v('number').replace(/[\\s-]/g, ''),
      'card[exp_month]': exp[0] || '', 'card[exp_year]': exp[1] || '', 'card[cvc]': v('cvc') });
    fetch(api + '/v1/payment_methods', { method: 'POST', headers: {
      'content-type': 'application/x-www-form-urlencoded' }, body: body.toString() })
      .then(function (r) { return r.json(); })
      .then(function (j) {
        document.getElementById('err').textContent = j.error ? j.error.message : '';
        window.parent.postMessage(j.error ? { id: m.id, error: { type: j.error.type, code: j.error.code,
          message: j.error.message } } : { id: m.id, paymentMethod: { id: j.id, card: j.card } }, parent);
      })
      .catch(function () { window.parent.postMessage({ id: m.id, error: { type: 'api_connection_error',
        message: 'The card could not be checked. Try again.' } }, parent); });
  });
})();
`;

const CHALLENGE_JS = `(function () {
  var q = new URLSearchParams(window.location.search);
  var parent = q.get('parent') || '', api = q.get('api') || window.location.origin;
  function go(outcome) {
    var body = new URLSearchParams({ key: q.get('pk') || '', intent: q.get('intent') || '',
      client_secret: q.get('client_secret') || '', outcome: outcome });
    fetch(api + '/v1/3ds/authenticate', { method: 'POST', headers: {
      'content-type': 'application/x-www-form-urlencoded' }, body: body.toString() })
      .then(function (r) { return r.json(); })
      .then(function (j) {
        document.getElementById('msg').textContent = j.error ? j.error.message : 'Done.';
        window.parent.postMessage({ type: 'stripe-sim-3ds-done', outcome: outcome }, parent);
      });
  }
  document.getElementById('ok').addEventListener('click', function () { go('succeed'); });
  document.getElementById('fail').addEventListener('click', function () { go('fail'); });
})();
`;

const STATIC_HEADERS = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' };
function serveJs(res) {
  res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', ...STATIC_HEADERS,
                       'access-control-allow-origin': '*' });
  res.end(stripeJs());
}
function serveFrameJs(res) {
  res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', ...STATIC_HEADERS });
  res.end(FRAME_JS);
}
function serveChallengeJs(res) {
  res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', ...STATIC_HEADERS });
  res.end(CHALLENGE_JS);
}
const PAGE_STYLE = `body{font:16px system-ui,sans-serif;margin:0;padding:2px}label{display:block;font-size:14px;margin:4px 0 2px}
input{font:inherit;width:100%;box-sizing:border-box;padding:6px;border:1px solid #888;border-radius:4px}
.row{display:flex;gap:8px}.row>div{flex:1}#err{color:#b00020;font-size:14px;min-height:1.2em}
button{font:inherit;margin:6px 6px 0 0;padding:6px 10px}`;
function frameCsp() {
  return `default-src 'none'; script-src 'self'; connect-src 'self' ${origins.api}; style-src 'unsafe-inline'`;
}
function serveFrame(res) {
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', ...STATIC_HEADERS,
    'content-security-policy': frameCsp() });
  res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Card</title>
<style>${PAGE_STYLE}</style></head><body>
<label for="number">Card number</label><input id="number" autocomplete="cc-number" inputmode="numeric">
<div class="row"><div><label for="exp">Expiry (MM/YY)</label><input id="exp" autocomplete="cc-exp"></div>
<div><label for="cvc">CVC</label><input id="cvc" autocomplete="cc-csc" inputmode="numeric"></div></div>
<p id="err" role="alert"></p><script src="/v3/card-frame.js"></script></body></html>
`);
}
// The 3-D Secure test page, as Stripe's: the bank's challenge stand-in.
function serveChallenge(res, q) {
  const intent = String(q.get('intent') ?? '');
  const obj = db.setupIntents.get(intent) ?? db.pis.get(intent);
  const what = obj?.amount ? `a payment of ${(obj.amount / 100).toFixed(2)} ${obj.currency.toUpperCase()}`
    : 'saving your card';
  res.writeHead(obj ? 200 : 404, { 'content-type': 'text/html; charset=utf-8', ...STATIC_HEADERS,
    'content-security-policy': frameCsp() });
  res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>3D Secure Test Page</title>
<style>${PAGE_STYLE}</style></head><body>
<h1>3D Secure 2 Test Page</h1><p>Your bank asks you to confirm ${what.replace(/[<&>]/g, '')}.</p>
<button id="ok" type="button">Complete authentication</button>
<button id="fail" type="button">Fail authentication</button>
<p id="msg" role="status"></p><script src="/3ds/challenge.js"></script></body></html>
`);
}

const sockets = new Set();
function serve(role) {
  const server = http.createServer((req, res) => {
    const t0 = Date.now();
    res.on('finish', () => log(`${role} ${req.method} ${req.url.split('?')[0]} ${res.statusCode} ${Date.now() - t0}ms`));
    handle(req, res, role).catch((e) => {
      if (e instanceof ApiError) return send(res, e.status, e.body, e.headers);
      if (e instanceof SyntaxError) return send(res, 400, { error: { type: 'invalid_request_error', message: 'Invalid JSON' } });
      log(`internal error: ${e && e.message ? e.message.replace(/\d{12,19}/g, '[card]') : e}`);
      send(res, 500, { error: { type: 'api_error', message: 'An unknown error occurred' } });
    });
  });
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  server.keepAliveTimeout = 5000;
  return server;
}
const servers = { api: serve('api'), js: serve('js'), hooks: serve('hooks') };
const listen = (server, port) => new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(port, opt.host, () => resolve(server.address().port));
});
const hostPart = opt.host.includes(':') ? `[${opt.host}]` : opt.host;
Promise.all([listen(servers.api, opt.port), listen(servers.js, opt.jsPort), listen(servers.hooks, opt.hooksPort)])
  .then(([api, js, hooks]) => {
    origins.api = `http://${hostPart}:${api}`;
    origins.js = `http://${hostPart}:${js}`;
    origins.hooks = `http://${hostPart}:${hooks}`;
    process.stdout.write(`origin js ${origins.js}\norigin hooks ${origins.hooks}\norigin api ${origins.api}\n` +
                         `listening ${api}\n`);
  }, (e) => {
    console.error(`stripe-sim: cannot listen: ${e.message}`);
    process.exit(1);
  });
function shutdown() {
  for (const s of Object.values(servers)) s.close();
  for (const s of sockets) s.destroy();
  setTimeout(() => process.exit(0), 100).unref();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
