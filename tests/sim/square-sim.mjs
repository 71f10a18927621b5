// square-sim.mjs: a local simulator of the part of Square's v2 API the
// portal's Square plugin uses (Node 20, no npm dependencies): Customers,
// Cards (card on file, DisableCard), Payments (CreatePayment, GetPayment,
// ListPayments), Refunds, idempotency keys, signed webhooks, a stand-in Web
// Payments SDK, fault knobs and a ledger for tests. It follows
// https://developer.squareup.com/reference/square: JSON bodies, Bearer
// access token, a Square-Version header, errors as {"errors": [{category,
// code, detail, field?}]}.
//
// Usage: node square-sim.mjs [--port N] [--host 127.0.0.1]
//          [--access-token EAAA...] [--application-id sandbox-sq0idb-...]
//          [--location-id L...] [--signature-key KEY]
//          [--notification-url URL] [--webhook-url URL] [--quiet]
// Port 0 (default) picks a free port; prints "listening <port>" on stdout.
// One log line per request on stderr (method, path without query, status,
// ms), never a body: never a card number or a token.
//
// Strictness, to catch plugin mistakes (each in Square's error shape):
//   - no or a wrong Bearer token: 401 AUTHENTICATION_ERROR UNAUTHORIZED;
//   - no Square-Version header (stricter than Square, which then uses the
//     application's default version): 400 MISSING_REQUIRED_PARAMETER; a
//     malformed one: 400 INVALID_SQUARE_VERSION_FORMAT;
//   - POST bodies must be application/json (400 INVALID_CONTENT_TYPE);
//     unknown fields: 400 BAD_REQUEST naming the field; missing required
//     fields: 400 MISSING_REQUIRED_PARAMETER; too long: VALUE_TOO_LONG
//     (idempotency_key 45, reference_id 40, note 500);
//   - idempotency_key is required for cards, payments and refunds.
// Idempotency: the same key with the same body replays the stored answer
// (5xx included); with another body: 400 IDEMPOTENCY_KEY_REUSED. A second
// request while the first is still running waits for it and gets its answer
// (Square documents no 409; this is the simulator's choice).
//
// Test values: nonces cnon:card-nonce-ok, cnon:card-nonce-declined
// (GENERIC_DECLINE), cnon:card-nonce-rejected-cvv (CVV_FAILURE),
// cnon:card-nonce-rejected-postalcode (ADDRESS_VERIFICATION_FAILURE),
// cnon:card-nonce-rejected-expiration (INVALID_EXPIRATION),
// cnon:card-nonce-already-used (CARD_TOKEN_USED); card on file
// ccof:customer-card-id-ok; an amount of 403 is declined. Cards tokenized
// through /__test/tokens or the stand-in SDK: 4111111111111111 and the other
// Sandbox cards succeed; CVV 911 is a CVV_FAILURE, postal code 99999 an
// ADDRESS_VERIFICATION_FAILURE; the simulator's own scenario cards:
// 4000000000009995 INSUFFICIENT_FUNDS, 4000000000000341 saves but every
// payment fails (GENERIC_DECLINE), 4000002760003184 every payment needs
// buyer verification (CARD_DECLINED_VERIFICATION_REQUIRED).
//
// Test and admin endpoints (no auth, loopback only):
//   POST /__test/tokens {number, exp_month?, exp_year?, cvv?, postal_code?}
//        -> {token: "cnon:...", details}
//   POST /__test/webhook {payment_id, type?} -> {headers, body}: a signed
//        payment.updated (or refund.updated / dispute.created) event
//   POST /__admin/faults {latency_ms, timeout, fail_after_commit, rate_limit,
//        refund_pending, count, match} (match default "/v2/payments")
//   GET /__admin/faults; GET /__admin/ledger -> {payments, refunds, cards};
//   GET /__admin/events; POST /__admin/config {webhook_url}; POST /__admin/reset
// Stand-in Web Payments SDK (https://developer.squareup.com/reference/sdks/
// web/payments), shaped like the real one: GET /v1/square.js defines
// Square.payments(applicationId, locationId) (throws on a malformed
// application id), payments.card() -> Promise<Card>, card.attach(selector)
// -> Promise, card.tokenize() -> Promise<{status: "OK", token, details:
// {method: "Card", card: {brand, last4, expMonth, expYear}}} | {status:
// "Invalid" | "Error", errors}>, card.destroy(), and
// payments.verifyBuyer(sourceId, {amount, currencyCode, intent: "CHARGE" |
// "STORE" | "CHARGE_AND_STORE", billingContact, customerInitiated,
// sellerKeyedIn}) -> Promise<{token, userChallenged}> (rejects when the
// buyer fails or closes the challenge). The card fields and the
// verification challenge live in iframes of the script's origin.
//
// Origins, as Square's (https://developer.squareup.com/docs/web-payments/
// content-security-policy): three ports, printed before "listening" as
// "origin web URL", "origin pci URL", "origin api URL":
//   web (--web-port, like sandbox.web.squarecdn.com): /v1/square.js, the
//       card frame and the verification challenge frame;
//   pci (--pci-port, like pci-connect.squareupsandbox.com): what the SDK
//       calls from the page and its frames: POST /v1/card-nonce,
//       GET /v1/payments/config, POST /v2/verifications (and
//       /v2/verifications/:id/complete from the challenge);
//   api (--port, like connect.squareupsandbox.com): the Square API and the
//       test/admin endpoints.
// A page that loads the script from the api port gets everything from that
// one origin, as before.
// Buyer verification (SCA): a source with the scenario card 4000002760003184
// (nonce or card on file) needs a verification token: CreatePayment and
// CreateCard without one answer CARD_DECLINED_VERIFICATION_REQUIRED (the
// nonce is not spent, so it can be used again with the token); with a
// "verf:" token issued for that source (by verifyBuyer's challenge, or
// POST /__test/verify {source_id, intent, outcome: "succeed" | "fail"} ->
// {token} | {errors}) they succeed. Other sources get a token from
// verifyBuyer without a challenge (userChallenged false).

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
  accessToken: flag('--access-token', process.env.SQUARE_SIM_ACCESS_TOKEN ?? 'EAAAsquaresim'),
  applicationId: flag('--application-id', 'sandbox-sq0idb-squaresim'),
  locationId: flag('--location-id', 'LSIMCONFORMANCE'),
  signatureKey: flag('--signature-key', process.env.SQUARE_SIM_SIGNATURE_KEY ?? 'squaresim-signature-key'),
  notificationUrl: flag('--notification-url', 'http://127.0.0.1/webhooks/demo/square'),
  webhookUrl: flag('--webhook-url', ''),
  webPort: Number(flag('--web-port', '0')),
  pciPort: Number(flag('--pci-port', '0')),
  quiet: args.includes('--quiet'),
};
// The three origins, set once listening.
const origins = { web: '', pci: '', api: '' };
if (!Number.isInteger(opt.port) || opt.port < 0 || opt.port > 65535) {
  console.error(`square-sim: bad port ${opt.port}`);
  process.exit(2);
}
const MERCHANT = 'MLSIMMERCHANT';

const faultsDefault = () => ({
  latency_ms: 0, timeout: false, fail_after_commit: false, rate_limit: false, refund_pending: false,
  count: 0, match: '/v2/payments',
});
let faults = faultsDefault();

let db;
function resetState() {
  db = { customers: new Map(), cards: new Map(), tokens: new Map(), payments: new Map(), payOrder: [],
         refunds: new Map(), events: [], idem: new Map(), verifications: new Map(), verfTokens: new Map() };
}
resetState();

const SANDBOX_CARDS = {
  '4111111111111111': 'VISA', '5105105105105100': 'MASTERCARD', '6011000000000004': 'DISCOVER',
  '30000000000004': 'DISCOVER_DINERS', '3569990010095841': 'JCB', '340000000000009': 'AMERICAN_EXPRESS',
  '6222988812340000': 'CHINA_UNIONPAY',
};
const SCENARIO_CARDS = {
  '4000000000009995': 'INSUFFICIENT_FUNDS',
  '4000000000000341': 'charge_fails',
  '4000002760003184': 'CARD_DECLINED_VERIFICATION_REQUIRED',
};
const NONCES = {
  'cnon:card-nonce-ok': null,
  'cnon:card-nonce-declined': 'GENERIC_DECLINE',
  'cnon:card-nonce-rejected-cvv': 'CVV_FAILURE',
  'cnon:card-nonce-rejected-postalcode': 'ADDRESS_VERIFICATION_FAILURE',
  'cnon:card-nonce-rejected-expiration': 'INVALID_EXPIRATION',
};
const DETAILS = {
  GENERIC_DECLINE: "Authorization error: 'GENERIC_DECLINE'",
  INSUFFICIENT_FUNDS: "Authorization error: 'INSUFFICIENT_FUNDS'",
  CVV_FAILURE: "Authorization error: 'CVV_FAILURE'",
  ADDRESS_VERIFICATION_FAILURE: "Authorization error: 'ADDRESS_VERIFICATION_FAILURE'",
  INVALID_EXPIRATION: "Authorization error: 'INVALID_EXPIRATION'",
  CARD_DECLINED_VERIFICATION_REQUIRED: "Authorization error: 'CARD_DECLINED_VERIFICATION_REQUIRED'",
};

const newId = (n = 22) => crypto.randomBytes(32).toString('base64').replace(/[^A-Za-z0-9]/g, '').slice(0, n);
const isoNow = () => new Date().toISOString();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
function log(line) {
  if (!opt.quiet) process.stderr.write(`square-sim: ${line}\n`);
}

class ApiError extends Error {
  constructor(status, errors, extra = {}, headers = {}) {
    super(errors[0].detail);
    this.status = status;
    this.body = { errors, ...extra };
    this.headers = headers;
  }
}
const err = (status, category, code, detail, field, extra) =>
  new ApiError(status, [{ category, code, detail, ...(field ? { field } : {}) }], extra);
const bad = (code, detail, field) => err(400, 'INVALID_REQUEST_ERROR', code, detail, field);
const notFound = (kind, id) => err(404, 'INVALID_REQUEST_ERROR', 'NOT_FOUND', `Could not find ${kind} with id: ${id}`);

// Checks the fields of a JSON object against a schema {name: type} where
// type is 'string', 'int', 'bool', 'money' or a nested schema object.
function check(obj, schema, prefix = '') {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj))
    throw bad('EXPECTED_OBJECT', `Expected an object${prefix ? ` for ${prefix}` : ''}.`, prefix || undefined);
  for (const [k, v] of Object.entries(obj)) {
    const f = prefix ? `${prefix}.${k}` : k;
    const t = schema[k];
    if (t === undefined) throw bad('BAD_REQUEST', `Unknown field \`${f}\`.`, f);
    if (t === 'string' && typeof v !== 'string') throw bad('EXPECTED_STRING', `Expected a string value for \`${f}\`.`, f);
    if (t === 'int' && !Number.isSafeInteger(v)) throw bad('EXPECTED_INTEGER', `Expected an integer value for \`${f}\`.`, f);
    if (t === 'bool' && typeof v !== 'boolean') throw bad('EXPECTED_BOOLEAN', `Expected a boolean value for \`${f}\`.`, f);
    if (t === 'money') {
      check(v, { amount: 'int', currency: 'string' }, f);
      if (v.amount === undefined) throw bad('MISSING_REQUIRED_PARAMETER', `Field must be set: \`${f}.amount\`.`, `${f}.amount`);
      if (v.amount < 0) throw bad('INVALID_VALUE', `\`${f}.amount\` must not be negative.`, `${f}.amount`);
      if (!/^[A-Z]{3}$/.test(v.currency ?? '')) throw bad('INVALID_ENUM_VALUE', `\`${f}.currency\` is not a valid currency.`, `${f}.currency`);
    }
    if (typeof t === 'object') check(v, t, f);
  }
}
function required(obj, ...fields) {
  for (const f of fields)
    if (obj[f] === undefined || obj[f] === '') throw bad('MISSING_REQUIRED_PARAMETER', `Field must be set: \`${f}\`.`, f);
}
function maxLen(obj, field, n) {
  if (obj[field] !== undefined && obj[field].length > n)
    throw bad('VALUE_TOO_LONG', `Field \`${field}\` must have a length of at most ${n}.`, field);
}

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
  if (SANDBOX_CARDS[num]) return SANDBOX_CARDS[num];
  if (num.startsWith('4')) return 'VISA';
  if (/^5[1-5]/.test(num) || /^2[2-7]/.test(num)) return 'MASTERCARD';
  if (/^3[47]/.test(num)) return 'AMERICAN_EXPRESS';
  if (/^6(011|5)/.test(num)) return 'DISCOVER';
  return 'OTHER_BRAND';
}

// Tokenizes card fields as the Web Payments SDK would; only the behaviour,
// brand, last 4 and expiry are kept.
function tokenize(c) {
  const number = String(c?.number ?? '').replace(/[\s-]/g, '');
  if (!/^\d{12,19}$/.test(number) || !luhn(number))
    throw bad('INVALID_CARD_DATA', 'Card number is not valid.', 'number');
  const now = new Date();
  const expMonth = Number(c.exp_month ?? 12);
  let expYear = Number(c.exp_year ?? now.getUTCFullYear() + 3);
  if (expYear < 100) expYear += 2000;
  if (!Number.isInteger(expMonth) || expMonth < 1 || expMonth > 12 || !Number.isInteger(expYear) ||
      expYear < now.getUTCFullYear() || (expYear === now.getUTCFullYear() && expMonth < now.getUTCMonth() + 1))
    throw bad('INVALID_EXPIRATION', 'Expiration date is not valid.', 'expirationDate');
  let behaviour = SCENARIO_CARDS[number] ?? null;
  if (String(c.cvv ?? '') === '911') behaviour = 'CVV_FAILURE';
  if (String(c.postal_code ?? '') === '99999') behaviour = 'ADDRESS_VERIFICATION_FAILURE';
  const token = `cnon:${newId(24)}`;
  const card = { card_brand: brandOf(number), last_4: number.slice(-4), exp_month: expMonth, exp_year: expYear,
                 card_type: 'CREDIT', prepaid_type: 'NOT_PREPAID', bin: number.slice(0, 6),
                 fingerprint: `sq-1-${crypto.createHash('sha256').update(number).digest('base64url').slice(0, 40)}` };
  db.tokens.set(token, { behaviour, card, used: false });
  return { token, details: { card: { brand: card.card_brand, last4: card.last_4, expMonth, expYear } } };
}

// A source_id: a nonce (spent on use), a card on file, or a magic value.
function takeSource(sourceId, customerId) {
  if (sourceId in NONCES) {
    const behaviour = NONCES[sourceId];
    return { kind: 'nonce', behaviour, card: { card_brand: 'VISA', last_4: '1111', exp_month: 12,
             exp_year: new Date().getUTCFullYear() + 3, card_type: 'CREDIT', prepaid_type: 'NOT_PREPAID',
             bin: '411111', fingerprint: 'sq-1-sandbox-visa' } };
  }
  if (sourceId === 'cnon:card-nonce-already-used')
    throw bad('CARD_TOKEN_USED', 'Card token already used.', 'source_id');
  if (sourceId === 'ccof:customer-card-id-ok') {
    if (!customerId) throw bad('MISSING_REQUIRED_PARAMETER', 'customer_id is required with a card on file.', 'customer_id');
    return { kind: 'card', behaviour: null, card: { card_brand: 'VISA', last_4: '1111', exp_month: 12,
             exp_year: new Date().getUTCFullYear() + 3, card_type: 'CREDIT', prepaid_type: 'NOT_PREPAID', bin: '411111' },
             cardId: sourceId };
  }
  if (sourceId.startsWith('cnon:')) {
    const t = db.tokens.get(sourceId);
    if (!t) throw bad('INVALID_CARD_DATA', 'Invalid card nonce.', 'source_id');
    if (t.used) throw bad('CARD_TOKEN_USED', 'Card token already used.', 'source_id');
    t.used = true;
    return { kind: 'nonce', behaviour: t.behaviour, card: { ...t.card } };
  }
  const card = db.cards.get(sourceId);
  if (card) {
    if (!customerId) throw bad('MISSING_REQUIRED_PARAMETER', 'customer_id is required with a card on file.', 'customer_id');
    if (card.customer_id !== customerId) throw bad('INVALID_CARD', 'The card does not belong to the customer.', 'source_id');
    if (!card.enabled) throw bad('INVALID_CARD', 'The card on file is disabled.', 'source_id');
    const { _behaviour, id, customer_id, enabled, merchant_id, version, created_at, reference_id, cardholder_name,
            billing_address, ...c } = card;
    return { kind: 'card', behaviour: _behaviour, card: c, cardId: id };
  }
  throw bad('INVALID_CARD_DATA', `Invalid source_id ${sourceId}.`, 'source_id');
}

const VERIFY = 'CARD_DECLINED_VERIFICATION_REQUIRED';

// The behaviour behind a source id (a nonce or a card on file), or null.
function behaviourOf(sourceId) {
  const t = db.tokens.get(String(sourceId));
  if (t) return t.behaviour;
  const c = db.cards.get(String(sourceId));
  return c ? c._behaviour : null;
}

// Issues a verification token for source (what verifyBuyer hands back).
function verfToken(sourceId, intent) {
  const token = `verf:${newId(24)}`;
  db.verfTokens.set(token, { source_id: String(sourceId), intent, used: false });
  return token;
}

// Starts a buyer verification: a token at once, or a challenge to show.
function startVerification(b) {
  check(b, { application_id: 'string', location_id: 'string', source_id: 'string', intent: 'string',
             amount: 'string', currency_code: 'string', customer_initiated: 'bool', seller_keyed_in: 'bool',
             billing_contact: {} });
  required(b, 'application_id', 'source_id', 'intent');
  if (!safeEqual(b.application_id, opt.applicationId))
    throw err(401, 'AUTHENTICATION_ERROR', 'UNAUTHORIZED', 'Unknown application id.');
  if (b.location_id !== undefined && b.location_id !== opt.locationId)
    throw err(404, 'INVALID_REQUEST_ERROR', 'NOT_FOUND', `Location \`${b.location_id}\` not found.`, 'location_id');
  if (!['CHARGE', 'STORE', 'CHARGE_AND_STORE'].includes(b.intent))
    throw bad('INVALID_ENUM_VALUE', 'intent must be CHARGE, STORE or CHARGE_AND_STORE.', 'intent');
  if (!db.tokens.has(b.source_id) && !db.cards.has(b.source_id))
    throw bad('INVALID_CARD_DATA', `Invalid source_id ${b.source_id}.`, 'source_id');
  if (behaviourOf(b.source_id) !== VERIFY) return { token: verfToken(b.source_id, b.intent), challenge: false };
  const id = `vrf_${newId(20)}`;
  db.verifications.set(id, { source_id: b.source_id, intent: b.intent, amount: b.amount ?? '',
                             currency: b.currency_code ?? '', done: false });
  return { verification_id: id, challenge: true };
}

// The buyer passed or failed the challenge of verification id.
function finishVerification(id, outcome) {
  const v = db.verifications.get(String(id));
  if (!v) throw notFound('verification', id);
  if (v.done) throw bad('BAD_REQUEST', 'This verification is finished.');
  if (outcome !== 'succeed' && outcome !== 'fail') throw bad('INVALID_VALUE', 'outcome must be succeed or fail.', 'outcome');
  v.done = true;
  if (outcome === 'fail')
    throw err(400, 'PAYMENT_METHOD_ERROR', 'VERIFICATION_FAILED', 'The buyer could not be verified.');
  return { token: verfToken(v.source_id, v.intent) };
}

// 1 when token verifies source for one of the intents (and spends it).
function takeVerification(token, sourceId, intents) {
  const t = token ? db.verfTokens.get(String(token)) : null;
  if (!t || t.used || t.source_id !== String(sourceId) || !intents.includes(t.intent)) return false;
  t.used = true;
  return true;
}

function getCustomer(id) {
  const c = db.customers.get(String(id));
  if (!c) throw notFound('customer', id);
  return c;
}

function createCustomer(b) {
  check(b, { idempotency_key: 'string', given_name: 'string', family_name: 'string', company_name: 'string',
             nickname: 'string', email_address: 'string', phone_number: 'string', reference_id: 'string',
             note: 'string', birthday: 'string', address: {} });
  maxLen(b, 'idempotency_key', 45);
  if (!b.given_name && !b.family_name && !b.company_name && !b.email_address && !b.phone_number)
    throw bad('MISSING_REQUIRED_PARAMETER',
              'At least one of the following fields must be set: given_name, family_name, company_name, email_address, phone_number.');
  if (b.email_address !== undefined && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(b.email_address))
    throw bad('INVALID_EMAIL_ADDRESS', 'Expected `email_address` to be a valid email address.', 'email_address');
  const now = isoNow();
  const c = { id: newId(26).toUpperCase(), created_at: now, updated_at: now, given_name: b.given_name,
              family_name: b.family_name, email_address: b.email_address, reference_id: b.reference_id,
              preferences: { email_unsubscribed: false }, creation_source: 'THIRD_PARTY', version: 0 };
  db.customers.set(c.id, c);
  return { customer: c };
}

function cardView(card) {
  const { _behaviour, ...v } = card;
  return v;
}

function createCard(b) {
  check(b, { idempotency_key: 'string', source_id: 'string', verification_token: 'string',
             card: { customer_id: 'string', cardholder_name: 'string', reference_id: 'string', billing_address: {} } });
  required(b, 'idempotency_key', 'source_id', 'card');
  maxLen(b, 'idempotency_key', 45);
  required(b.card, 'customer_id');
  const cust = getCustomer(b.card.customer_id);
  let src;
  const pay = db.payments.get(b.source_id);
  if (pay) {
    // A card on file from a payment made with a one-time token.
    if (pay.status !== 'COMPLETED' && pay.status !== 'APPROVED')
      throw bad('INVALID_CARD', 'The payment did not succeed; its card cannot be saved.', 'source_id');
    if (pay._cardId) throw bad('INVALID_CARD', 'The payment was made with a card on file.', 'source_id');
    src = { behaviour: pay._behaviour, card: { ...pay.card_details.card } };
  } else {
    if (!b.source_id.startsWith('cnon:')) throw bad('INVALID_CARD_DATA', `Invalid source_id ${b.source_id}.`, 'source_id');
    src = takeSource(b.source_id, null);
    if (src.behaviour === VERIFY &&
        !takeVerification(b.verification_token, b.source_id, ['STORE', 'CHARGE_AND_STORE'])) {
      db.tokens.get(b.source_id).used = false; // not spent: retried with the token
      throw err(400, 'PAYMENT_METHOD_ERROR', VERIFY, DETAILS[VERIFY]);
    }
    if (src.behaviour && src.behaviour !== 'charge_fails' && src.behaviour !== VERIFY &&
        src.behaviour !== 'INSUFFICIENT_FUNDS')
      throw err(400, 'PAYMENT_METHOD_ERROR', src.behaviour, DETAILS[src.behaviour] ?? 'Card declined.');
  }
  const card = { id: `ccof:${newId(16)}`, ...src.card, customer_id: cust.id, enabled: true,
                 merchant_id: MERCHANT, reference_id: b.card.reference_id, cardholder_name: b.card.cardholder_name,
                 version: 1, created_at: isoNow(), _behaviour: src.behaviour };
  db.cards.set(card.id, card);
  return { card: cardView(card) };
}

function emitEvent(kind, type, object) {
  const ev = { merchant_id: MERCHANT, type, event_id: crypto.randomUUID(), created_at: isoNow(),
               data: { type: kind, id: object.id, object: { [kind]: object } } };
  db.events.push(ev);
  if (opt.webhookUrl) deliver(ev, 0);
  return ev;
}

function sign(body) {
  return crypto.createHmac('sha256', opt.signatureKey).update(opt.notificationUrl + body).digest('base64');
}

function deliver(ev, attempt) {
  const target = opt.webhookUrl;
  if (!target) return;
  const body = JSON.stringify(ev);
  let url;
  try { url = new URL(target); } catch { return; }
  const req = http.request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-square-hmacsha256-signature': sign(body),
               'square-initial-delivery-timestamp': ev.created_at, 'content-length': Buffer.byteLength(body) },
    timeout: 5000,
  }, (res) => {
    res.resume();
    if (res.statusCode >= 300 && attempt < 3) setTimeout(() => deliver(ev, attempt + 1), 500 * (attempt + 1));
  });
  req.on('error', () => { if (attempt < 3) setTimeout(() => deliver(ev, attempt + 1), 500 * (attempt + 1)); });
  req.on('timeout', () => req.destroy());
  req.end(body);
}

function payView(p) {
  const { _behaviour, _cardId, _idem, ...v } = p;
  return JSON.parse(JSON.stringify(v));
}

function createPayment(b) {
  check(b, { idempotency_key: 'string', source_id: 'string', amount_money: 'money', tip_money: 'money',
             app_fee_money: 'money', customer_id: 'string', location_id: 'string', reference_id: 'string',
             note: 'string', autocomplete: 'bool', delay_duration: 'string', verification_token: 'string',
             buyer_email_address: 'string', statement_description_identifier: 'string',
             accept_partial_authorization: 'bool' });
  required(b, 'idempotency_key', 'source_id', 'amount_money');
  maxLen(b, 'idempotency_key', 45);
  maxLen(b, 'reference_id', 40);
  maxLen(b, 'note', 500);
  if (b.amount_money.amount < 1) throw bad('INVALID_VALUE', '`amount_money.amount` must be positive.', 'amount_money.amount');
  if (b.location_id !== undefined && b.location_id !== opt.locationId)
    throw err(404, 'INVALID_REQUEST_ERROR', 'NOT_FOUND', `Location \`${b.location_id}\` not found.`, 'location_id');
  if (b.customer_id !== undefined) getCustomer(b.customer_id);
  const src = takeSource(b.source_id, b.customer_id);
  const now = isoNow();
  const p = {
    id: newId(29), created_at: now, updated_at: now, amount_money: { ...b.amount_money },
    total_money: { ...b.amount_money }, approved_money: { ...b.amount_money }, status: 'COMPLETED',
    delay_duration: 'PT168H', source_type: 'CARD',
    card_details: { status: 'CAPTURED', card: src.card, entry_method: src.kind === 'card' ? 'ON_FILE' : 'KEYED',
                    cvv_status: 'CVV_ACCEPTED', avs_status: 'AVS_ACCEPTED', statement_description: 'SQ *PORTAL' },
    location_id: opt.locationId, order_id: newId(29), reference_id: b.reference_id, customer_id: b.customer_id,
    note: b.note, receipt_number: '', receipt_url: '', version_token: newId(40),
    application_details: { square_product: 'ECOMMERCE_API', application_id: opt.applicationId },
    _behaviour: src.behaviour, _cardId: src.cardId, _idem: b.idempotency_key,
  };
  p.receipt_number = p.id.slice(0, 4);
  p.receipt_url = `https://squareupsandbox.com/receipt/preview/${p.id}`;
  let code = null;
  if (src.behaviour === 'charge_fails') code = 'GENERIC_DECLINE';
  else if (src.behaviour === VERIFY)
    code = takeVerification(b.verification_token, b.source_id, ['CHARGE', 'CHARGE_AND_STORE']) ? null : VERIFY;
  else if (src.behaviour) code = src.behaviour;
  if (code === VERIFY && src.kind === 'nonce' && db.tokens.has(b.source_id))
    db.tokens.get(b.source_id).used = false; // not spent: retried with the token
  if (b.amount_money.amount === 403) code = 'GENERIC_DECLINE';
  if (b.autocomplete === false && !code) {
    p.status = 'APPROVED';
    p.card_details.status = 'AUTHORIZED';
  }
  if (code) {
    p.status = 'FAILED';
    p.card_details.status = 'FAILED';
    p.card_details.errors = [{ category: 'PAYMENT_METHOD_ERROR', code, detail: DETAILS[code] ?? 'Card declined.' }];
    delete p.approved_money;
    p.total_money = { ...b.amount_money };
  }
  db.payments.set(p.id, p);
  db.payOrder.push(p.id);
  emitEvent('payment', 'payment.created', payView(p));
  if (code) {
    emitEvent('payment', 'payment.updated', payView(p));
    throw err(400, 'PAYMENT_METHOD_ERROR', code, DETAILS[code] ?? 'Card declined.', undefined, { payment: payView(p) });
  }
  emitEvent('payment', 'payment.updated', payView(p));
  return { payment: payView(p) };
}

function getPayment(id) {
  const p = db.payments.get(String(id));
  if (!p) throw notFound('payment', id);
  return p;
}

function refundPayment(b) {
  check(b, { idempotency_key: 'string', amount_money: 'money', app_fee_money: 'money', payment_id: 'string',
             reason: 'string', payment_version_token: 'string', team_member_id: 'string' });
  required(b, 'idempotency_key', 'amount_money', 'payment_id');
  maxLen(b, 'idempotency_key', 45);
  maxLen(b, 'reason', 192);
  const p = getPayment(b.payment_id);
  if (p.status !== 'COMPLETED')
    throw bad('PAYMENT_NOT_REFUNDABLE', `Payment ${p.id} is ${p.status} and cannot be refunded.`, 'payment_id');
  if (b.amount_money.currency !== p.amount_money.currency)
    throw bad('INVALID_VALUE', 'The refund currency must match the payment currency.', 'amount_money.currency');
  const left = p.amount_money.amount - (p.refunded_money?.amount ?? 0);
  if (b.amount_money.amount < 1 || b.amount_money.amount > left)
    throw bad('REFUND_AMOUNT_INVALID', `The requested refund amount exceeds the amount available to refund (${left}).`,
              'amount_money.amount');
  const now = isoNow();
  const r = { id: `${p.id}_${newId(30)}`, status: faults.refund_pending ? 'PENDING' : 'COMPLETED',
              amount_money: { ...b.amount_money }, payment_id: p.id, order_id: p.order_id, location_id: p.location_id,
              reason: b.reason, created_at: now, updated_at: now };
  db.refunds.set(r.id, r);
  p.refunded_money = { amount: (p.refunded_money?.amount ?? 0) + b.amount_money.amount, currency: p.amount_money.currency };
  p.refund_ids = [...(p.refund_ids ?? []), r.id];
  p.updated_at = now;
  emitEvent('refund', 'refund.created', { ...r });
  if (r.status === 'COMPLETED') emitEvent('refund', 'refund.updated', { ...r });
  return { refund: { ...r } };
}

function listPayments(q) {
  for (const k of q.keys())
    if (!['begin_time', 'end_time', 'sort_order', 'cursor', 'location_id', 'total', 'last_4', 'card_brand', 'limit']
        .includes(k))
      throw bad('BAD_REQUEST', `Unknown query parameter \`${k}\`.`, k);
  const t = (k, def) => {
    if (!q.has(k)) return def;
    const ms = Date.parse(q.get(k));
    if (!/^\d{4}-\d{2}-\d{2}T/.test(q.get(k)) || Number.isNaN(ms))
      throw bad('INVALID_TIME', `\`${k}\` must be an RFC 3339 timestamp.`, k);
    return ms;
  };
  const end = t('end_time', Date.now() + 1000);
  const begin = t('begin_time', end - 365 * 86400e3);
  const order = q.get('sort_order') ?? 'DESC';
  if (!['ASC', 'DESC'].includes(order)) throw bad('INVALID_SORT_ORDER', 'sort_order must be ASC or DESC.', 'sort_order');
  const limit = q.has('limit') ? Number(q.get('limit')) : 100;
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw bad('INVALID_VALUE', 'limit must be 1 to 100.', 'limit');
  if (q.has('location_id') && q.get('location_id') !== opt.locationId)
    throw err(404, 'INVALID_REQUEST_ERROR', 'NOT_FOUND', 'Location not found.', 'location_id');
  let list = db.payOrder.map((id) => db.payments.get(id))
    .filter((p) => Date.parse(p.created_at) >= begin && Date.parse(p.created_at) < end);
  if (order === 'DESC') list.reverse();
  let start = 0;
  if (q.has('cursor')) {
    const c = Number(Buffer.from(q.get('cursor'), 'base64').toString('utf8'));
    if (!Number.isInteger(c) || c < 0) throw bad('INVALID_CURSOR', 'The cursor is not valid.', 'cursor');
    start = c;
  }
  const page = list.slice(start, start + limit).map(payView);
  const out = { payments: page };
  if (start + limit < list.length) out.cursor = Buffer.from(String(start + limit)).toString('base64');
  return out;
}

// ---- HTTP plumbing ---------------------------------------------------------

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let n = 0;
    req.on('data', (c) => {
      n += c.length;
      if (n > 65536) { reject(bad('BAD_REQUEST', 'Request body too large.')); req.destroy(); return; }
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
                          'square-version': '2025-01-23', ...CORS, ...headers });
  res.end(text);
}

function safeEqual(a, b) {
  const x = Buffer.from(String(a));
  const y = Buffer.from(String(b));
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}

function takeFault(method, path) {
  if (method !== 'POST' || !path.startsWith(faults.match || '/v2/payments')) return null;
  if (!faults.timeout && !faults.fail_after_commit && !faults.rate_limit) return null;
  const f = { timeout: faults.timeout, fail_after_commit: faults.fail_after_commit, rate_limit: faults.rate_limit };
  if (faults.count > 0) {
    faults.count -= 1;
    if (faults.count === 0) faults = { ...faultsDefault(), latency_ms: faults.latency_ms, refund_pending: faults.refund_pending };
  }
  return f;
}

function canon(v) {
  if (Array.isArray(v)) return `[${v.map(canon).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.keys(v).sort().map((k) => `${k}:${canon(v[k])}`).join(',')}}`;
  return JSON.stringify(v);
}

async function handleAdmin(res, method, path, text) {
  if (method === 'GET' && path === '/__admin/ledger')
    return send(res, 200, {
      payments: db.payOrder.map((id) => ({ ...payView(db.payments.get(id)), idempotency_key: db.payments.get(id)._idem })),
      refunds: [...db.refunds.values()], cards: [...db.cards.values()].map(cardView),
    });
  if (method === 'GET' && path === '/__admin/events') return send(res, 200, { events: db.events });
  if (method === 'GET' && path === '/__admin/faults') return send(res, 200, faults);
  const body = text ? JSON.parse(text) : {};
  if (method === 'POST' && path === '/__admin/faults') {
    const f = faultsDefault();
    for (const k of Object.keys(body)) {
      if (!(k in f)) throw bad('BAD_REQUEST', `unknown fault knob "${k}"`);
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
  if (method === 'POST' && path === '/__test/tokens') return send(res, 200, tokenize(body));
  if (method === 'POST' && path === '/__test/verify') {
    const v = startVerification({ application_id: opt.applicationId, source_id: String(body.source_id ?? ''),
                                  intent: String(body.intent ?? 'CHARGE') });
    if (!v.challenge) return send(res, 200, { token: v.token });
    return send(res, 200, finishVerification(v.verification_id, body.outcome ?? 'succeed'));
  }
  if (method === 'POST' && path === '/__test/webhook') {
    const p = getPayment(body.payment_id);
    const type = body.type ?? 'payment.updated';
    let kind = 'payment', object = payView(p);
    if (type.startsWith('refund.')) {
      kind = 'refund';
      object = { ...db.refunds.get(p.refund_ids?.at(-1)) };
    } else if (type.startsWith('dispute.')) {
      kind = 'dispute';
      object = { id: newId(22), dispute_id: newId(22), amount_money: { ...p.amount_money }, reason: 'NOT_AS_DESCRIBED',
                 state: 'EVIDENCE_REQUIRED', disputed_payment: { payment_id: p.id }, card_brand: p.card_details.card.card_brand,
                 created_at: isoNow() };
    }
    const ev = { merchant_id: MERCHANT, type, event_id: crypto.randomUUID(), created_at: isoNow(),
                 data: { type: kind, id: object.id, object: { [kind]: object } } };
    db.events.push(ev);
    const raw = JSON.stringify(ev);
    return send(res, 200, { headers: { 'x-square-hmacsha256-signature': sign(raw) }, body: raw, event: ev });
  }
  return send(res, 404, { errors: [{ category: 'INVALID_REQUEST_ERROR', code: 'NOT_FOUND', detail: 'No such endpoint.' }] });
}

const CORS = { 'access-control-allow-origin': '*' };

async function handle(req, res, role) {
  const url = new URL(req.url, 'http://sim');
  const path = url.pathname;
  const method = req.method;

  if (method === 'OPTIONS') {
    res.writeHead(204, { ...CORS, 'access-control-allow-methods': 'GET, POST',
                         'access-control-allow-headers': 'content-type', 'access-control-max-age': '600' });
    return res.end();
  }
  // Each origin serves its part; the api origin serves everything (the
  // one-origin layout).
  if (role !== 'pci') {
    if (method === 'GET' && path === '/v1/square.js') return serveStatic(res, 'text/javascript', squareJs(), CORS);
    if (method === 'GET' && path === '/v1/card-frame.js') return serveStatic(res, 'text/javascript', FRAME_JS);
    if (method === 'GET' && path === '/v1/card-frame') return serveStatic(res, 'text/html', FRAME_HTML, {
      'content-security-policy': frameCsp() });
    if (method === 'GET' && path === '/v1/verify-frame.js') return serveStatic(res, 'text/javascript', VERIFY_JS);
    if (method === 'GET' && path === '/v1/verify-frame') return serveVerifyFrame(res, url.searchParams);
  }
  if (role !== 'web') {
    // The SDK's own endpoints (the application id is the credential, as
    // with Square's PCI endpoint).
    if (method === 'GET' && path === '/v1/payments/config') {
      if (!safeEqual(url.searchParams.get('applicationId') ?? '', opt.applicationId))
        throw err(401, 'AUTHENTICATION_ERROR', 'UNAUTHORIZED', 'Unknown application id.');
      if (url.searchParams.get('locationId') !== opt.locationId)
        throw err(404, 'INVALID_REQUEST_ERROR', 'NOT_FOUND', 'Location not found.', 'locationId');
      return send(res, 200, { card: { enabled: true }, verification: { enabled: true } }, CORS);
    }
    if (method === 'POST' && path === '/v1/card-nonce') {
      const body = JSON.parse((await readBody(req)) || '{}');
      if (!safeEqual(body.application_id ?? '', opt.applicationId))
        throw err(401, 'AUTHENTICATION_ERROR', 'UNAUTHORIZED', 'Unknown application id.');
      return send(res, 200, tokenize(body.card ?? {}), CORS);
    }
    if (method === 'POST' && path === '/v2/verifications')
      return send(res, 200, startVerification(JSON.parse((await readBody(req)) || '{}')), CORS);
    const m = path.match(/^\/v2\/verifications\/(vrf_\w+)\/complete$/);
    if (method === 'POST' && m)
      return send(res, 200, finishVerification(m[1], JSON.parse((await readBody(req)) || '{}').outcome), CORS);
  }
  if (role !== 'api') throw err(404, 'INVALID_REQUEST_ERROR', 'NOT_FOUND', `Unknown endpoint ${method} ${path}.`);

  const text = await readBody(req);
  if (path.startsWith('/__admin/') || path.startsWith('/__test/')) return handleAdmin(res, method, path, text);
  if (!path.startsWith('/v2/'))
    throw err(404, 'INVALID_REQUEST_ERROR', 'NOT_FOUND', `Unknown endpoint ${method} ${path}.`);
  if (faults.latency_ms > 0 && method !== 'POST') await sleep(faults.latency_ms);

  const auth = req.headers.authorization ?? '';
  if (!auth.startsWith('Bearer ') || !safeEqual(auth.slice(7), opt.accessToken))
    throw err(401, 'AUTHENTICATION_ERROR', 'UNAUTHORIZED', 'This request could not be authorized.');
  const ver = req.headers['square-version'];
  if (ver === undefined)
    throw bad('MISSING_REQUIRED_PARAMETER', 'The simulator requires a Square-Version header (the plugin sends one).',
              'Square-Version');
  if (!/^\d{4}-\d{2}-\d{2}$/.test(ver))
    throw bad('INVALID_SQUARE_VERSION_FORMAT', `Invalid Square-Version format: ${ver}.`, 'Square-Version');

  if (method === 'GET') return send(res, 200, get(path, url.searchParams));
  if (method !== 'POST' && method !== 'PUT')
    throw err(405, 'INVALID_REQUEST_ERROR', 'METHOD_NOT_ALLOWED', `Method ${method} is not allowed.`);
  const ctype = (req.headers['content-type'] ?? '').split(';')[0].trim();
  if (ctype !== 'application/json')
    throw bad('INVALID_CONTENT_TYPE', 'Content-Type must be application/json.', 'Content-Type');
  let body;
  try { body = JSON.parse(text || '{}'); } catch { throw bad('BAD_REQUEST', 'The request body is not valid JSON.'); }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw bad('EXPECTED_OBJECT', 'Expected a JSON object.');

  const fault = takeFault(method, path);
  if (fault?.rate_limit)
    throw new ApiError(429, [{ category: 'RATE_LIMIT_ERROR', code: 'RATE_LIMITED', detail: 'Rate limit exceeded.' }], {},
                       { 'retry-after': '1' });

  const key = body.idempotency_key;
  let slot = null;
  if (typeof key === 'string' && key !== '') {
    const id = `${path} ${key}`;
    const fp = crypto.createHash('sha256').update(canon(body)).digest('hex');
    let prev = db.idem.get(id);
    while (prev?.inflight) {
      await prev.done;
      prev = db.idem.get(id);
    }
    if (prev) {
      if (prev.fingerprint !== fp)
        throw bad('IDEMPOTENCY_KEY_REUSED', 'The idempotency key can only be retried with the same request data.',
                  'idempotency_key');
      return send(res, prev.status, prev.body);
    }
    let resolve;
    slot = { fingerprint: fp, inflight: true, done: new Promise((r) => { resolve = r; }), resolve };
    db.idem.set(id, slot);
  }
  if (faults.latency_ms > 0) await sleep(faults.latency_ms);

  let status = 200;
  let answer;
  let validation = false;
  try {
    answer = post(path, body);
  } catch (e) {
    if (!(e instanceof ApiError)) {
      if (slot) { db.idem.delete(`${path} ${key}`); slot.resolve(); }
      throw e;
    }
    status = e.status;
    answer = e.body;
    validation = (e.status === 400 || e.status === 404) && e.body.errors[0].category !== 'PAYMENT_METHOD_ERROR';
  }
  if (fault?.fail_after_commit && status < 400) {
    status = 500;
    answer = { errors: [{ category: 'API_ERROR', code: 'INTERNAL_SERVER_ERROR', detail: 'An internal error occurred.' }] };
  }
  if (slot) {
    if (validation) db.idem.delete(`${path} ${key}`);
    else Object.assign(slot, { inflight: false, status, body: answer });
    slot.inflight = false;
    slot.resolve();
  }
  if (fault?.timeout) return;
  return send(res, status, answer);
}

function get(path, q) {
  let m;
  if (path === '/v2/payments') return listPayments(q);
  if ((m = path.match(/^\/v2\/payments\/([\w-]+)$/))) return { payment: payView(getPayment(m[1])) };
  if ((m = path.match(/^\/v2\/refunds\/([\w-]+)$/))) {
    const r = db.refunds.get(m[1]);
    if (!r) throw notFound('refund', m[1]);
    return { refund: { ...r } };
  }
  if ((m = path.match(/^\/v2\/customers\/([\w-]+)$/))) return { customer: getCustomer(m[1]) };
  if (path === '/v2/cards') {
    const cust = q.get('customer_id');
    const all = q.get('include_disabled') === 'true';
    return { cards: [...db.cards.values()].filter((c) => (!cust || c.customer_id === cust) && (all || c.enabled))
      .map(cardView) };
  }
  if ((m = path.match(/^\/v2\/cards\/(ccof:[\w-]+)$/))) {
    const c = db.cards.get(m[1]);
    if (!c) throw notFound('card', m[1]);
    return { card: cardView(c) };
  }
  throw err(404, 'INVALID_REQUEST_ERROR', 'NOT_FOUND', `Unknown endpoint GET ${path}.`);
}

function post(path, body) {
  let m;
  if (path === '/v2/customers') return createCustomer(body);
  if (path === '/v2/cards') return createCard(body);
  if (path === '/v2/payments') return createPayment(body);
  if (path === '/v2/refunds') return refundPayment(body);
  if ((m = path.match(/^\/v2\/cards\/(ccof:[\w-]+)\/disable$/))) {
    check(body, {});
    const c = db.cards.get(m[1]);
    if (!c) throw notFound('card', m[1]);
    c.enabled = false;
    return { card: cardView(c) };
  }
  throw err(404, 'INVALID_REQUEST_ERROR', 'NOT_FOUND', `Unknown endpoint POST ${path}.`);
}

// ---- stand-in Web Payments SDK ------------------------------------------------

// The SDK, with the simulator's origins: loaded from the web origin it calls
// the pci origin; loaded from anywhere else (one origin) it uses that one.
// Styles go through CSSOM (no style attributes), so a strict style-src on
// the page raises nothing.
function squareJs() {
  return `// Stand-in Web Payments SDK of the local Square simulator: Square.payments(
// appId, locationId) -> {card(), verifyBuyer(source, details)}; card() ->
// Promise<{attach(sel), tokenize(), destroy()}>.
(function () {
  var ORIGIN = new URL(document.currentScript.src).origin;
  var SPLIT = ORIGIN === ${JSON.stringify(origins.web)};
  var PCI = SPLIT ? ${JSON.stringify(origins.pci)} : ORIGIN;
  function post(path, body) {
    return fetch(PCI + path, { method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body) }).then(function (r) { return r.json(); });
  }
  function payments(appId, locationId) {
    if (typeof appId !== 'string' || !/^(sandbox-sq0idb-|sq0idp-)/.test(appId))
      throw new Error("The Payment 'applicationId' option is not in the correct format.");
    if (typeof locationId !== 'string' || locationId === '') throw new Error("The Payment 'locationId' is missing.");
    var config = fetch(PCI + '/v1/payments/config?applicationId=' + encodeURIComponent(appId) + '&locationId=' +
      encodeURIComponent(locationId)).then(function (r) { return r.json(); });
    function card() {
      return config.then(function (c) {
        if (c.errors) throw new Error(c.errors[0].detail);
        var frame = null, seq = 0, pending = {};
        window.addEventListener('message', function (ev) {
          if (!frame || ev.origin !== ORIGIN || ev.source !== frame.contentWindow) return;
          var m = ev.data || {}, p = pending[m.id];
          if (!p) return;
          delete pending[m.id];
          p(m.result);
        });
        return {
          attach: function (sel) {
            var el = typeof sel === 'string' ? document.querySelector(sel) : sel;
            if (!el) return Promise.reject(new Error('The element ' + sel + ' was not found.'));
            frame = document.createElement('iframe');
            frame.src = ORIGIN + '/v1/card-frame?app=' + encodeURIComponent(appId) + '&parent=' +
              encodeURIComponent(window.location.origin) + '&pci=' + encodeURIComponent(PCI);
            frame.title = 'Card details';
            frame.style.border = '0';
            frame.style.width = '100%';
            frame.style.height = '170px';
            el.appendChild(frame);
            return Promise.resolve();
          },
          tokenize: function () {
            return new Promise(function (resolve) {
              if (!frame) return resolve({ status: 'Error', errors: [{ message: 'The card is not attached.' }] });
              var id = ++seq;
              pending[id] = resolve;
              frame.contentWindow.postMessage({ type: 'square-sim-tokenize', id: id }, ORIGIN);
            });
          },
          destroy: function () { if (frame) frame.remove(); frame = null; return Promise.resolve(true); }
        };
      });
    }
    // Buyer verification (SCA): a token at once, or the challenge first.
    function verifyBuyer(source, details) {
      details = details || {};
      return post('/v2/verifications', { application_id: appId, location_id: locationId, source_id: source,
        intent: details.intent, amount: details.amount, currency_code: details.currencyCode,
        customer_initiated: details.customerInitiated !== false, seller_keyed_in: details.sellerKeyedIn === true })
        .then(function (v) {
          if (v.errors) throw new Error(v.errors[0].detail);
          if (!v.challenge) return { token: v.token, userChallenged: false };
          return challenge(v.verification_id).then(function (token) {
            return { token: token, userChallenged: true };
          });
        });
    }
    function challenge(vid) {
      return new Promise(function (resolve, reject) {
        var box = document.createElement('div'), f = document.createElement('iframe');
        var close = document.createElement('button');
        box.setAttribute('role', 'dialog');
        box.setAttribute('aria-label', 'Verify your identity');
        box.className = 'square-sim-verify';
        box.style.position = 'fixed';
        box.style.left = '0'; box.style.top = '0'; box.style.right = '0'; box.style.bottom = '0';
        box.style.background = 'rgba(0,0,0,0.5)';
        box.style.zIndex = '2147483647';
        f.title = 'Card verification';
        f.src = ORIGIN + '/v1/verify-frame?vid=' + encodeURIComponent(vid) + '&parent=' +
          encodeURIComponent(window.location.origin) + '&pci=' + encodeURIComponent(PCI);
        f.style.border = '0'; f.style.background = '#fff';
        f.style.width = '400px'; f.style.height = '300px'; f.style.maxWidth = '95%';
        f.style.display = 'block'; f.style.margin = '10vh auto 0';
        close.type = 'button';
        close.textContent = 'Close verification';
        close.style.display = 'block'; close.style.margin = '8px auto';
        function done() { window.removeEventListener('message', onmsg); box.remove(); }
        function onmsg(ev) {
          if (ev.origin !== ORIGIN || ev.source !== f.contentWindow) return;
          var m = ev.data || {};
          if (m.type !== 'square-sim-verify-done') return;
          done();
          if (m.token) resolve(m.token);
          else reject(new Error(m.error || 'The buyer could not be verified.'));
        }
        window.addEventListener('message', onmsg);
        close.addEventListener('click', function () { done(); reject(new Error('The verification was canceled.')); });
        box.appendChild(f);
        box.appendChild(close);
        document.body.appendChild(box);
      });
    }
    return { card: card, verifyBuyer: verifyBuyer };
  }
  window.Square = { payments: payments };
})();
`;
}

const FRAME_JS = `(function () {
  var q = new URLSearchParams(window.location.search), app = q.get('app') || '', parent = q.get('parent') || '';
  var pci = q.get('pci') || window.location.origin;
  function v(id) { return document.getElementById(id).value.trim(); }
  window.addEventListener('message', function (ev) {
    if (ev.origin !== parent || ev.source !== window.parent) return;
    var m = ev.data || {};
    if (m.type !== 'square-sim-tokenize') return;
    var exp = v('exp').split('/');
    fetch(pci + '/v1/card-nonce', { method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ application_id: app, card: { number: v('number').replace(/[\\s-]/g, ''),
        exp_month: Number(exp[0]), exp_year: Number(exp[1]), cvv: v('cvv'), postal_code: v('postal') } }) })
      .then(function (r) { return r.json(); })
      .then(function (j) {
        var result = j.errors ? { status: 'Invalid', errors: j.errors.map(function (e) {
          return { type: 'VALIDATION_ERROR', field: e.field, message: e.detail }; }) }
          : { status: 'OK', token: j.token, details: { method: 'Card', card: j.details.card } };
        document.getElementById('err').textContent = j.errors ? j.errors[0].detail : '';
        window.parent.postMessage({ id: m.id, result: result }, parent);
      })
      .catch(function () { window.parent.postMessage({ id: m.id, result: { status: 'Error',
        errors: [{ message: 'The card could not be checked. Try again.' }] } }, parent); });
  });
})();
`;

const VERIFY_JS = `(function () {
  var q = new URLSearchParams(window.location.search), parent = q.get('parent') || '';
  var pci = q.get('pci') || window.location.origin;
  function go(outcome) {
    fetch(pci + '/v2/verifications/' + encodeURIComponent(q.get('vid') || '') + '/complete', { method: 'POST',
      headers: { 'content-type': 'application/json' }, body: JSON.stringify({ outcome: outcome }) })
      .then(function (r) { return r.json(); })
      .then(function (j) {
        document.getElementById('msg').textContent = j.errors ? j.errors[0].detail : 'Verified.';
        window.parent.postMessage({ type: 'square-sim-verify-done', token: j.token || null,
          error: j.errors ? j.errors[0].detail : null }, parent);
      });
  }
  document.getElementById('ok').addEventListener('click', function () { go('succeed'); });
  document.getElementById('fail').addEventListener('click', function () { go('fail'); });
})();
`;

const PAGE_STYLE = `body{font:16px system-ui,sans-serif;margin:0;padding:2px}label{display:block;font-size:14px;margin:4px 0 2px}
input{font:inherit;width:100%;box-sizing:border-box;padding:6px;border:1px solid #888;border-radius:4px}
.row{display:flex;gap:8px}.row>div{flex:1}#err{color:#b00020;font-size:14px;min-height:1.2em}
button{font:inherit;margin:6px 6px 0 0;padding:6px 10px}`;

const FRAME_HTML = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Card</title>
<style>${PAGE_STYLE}</style></head><body>
<label for="number">Card number</label><input id="number" autocomplete="cc-number" inputmode="numeric">
<div class="row"><div><label for="exp">Expiry (MM/YY)</label><input id="exp" autocomplete="cc-exp"></div>
<div><label for="cvv">CVV</label><input id="cvv" autocomplete="cc-csc" inputmode="numeric"></div>
<div><label for="postal">ZIP</label><input id="postal" autocomplete="postal-code"></div></div>
<p id="err" role="alert"></p><script src="/v1/card-frame.js"></script></body></html>
`;

function frameCsp() {
  return `default-src 'none'; script-src 'self'; connect-src 'self' ${origins.pci}; style-src 'unsafe-inline'`;
}

// The issuer's challenge stand-in for one verification.
function serveVerifyFrame(res, q) {
  const v = db.verifications.get(String(q.get('vid') ?? ''));
  const what = v?.intent === 'STORE' ? 'saving your card'
    : `a payment of ${String(v?.amount ?? '').replace(/[^0-9.]/g, '')} ${String(v?.currency ?? '').replace(/[^A-Z]/g, '')}`;
  res.writeHead(v ? 200 : 404, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store',
                                 'x-content-type-options': 'nosniff', 'content-security-policy': frameCsp() });
  res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Verification</title>
<style>${PAGE_STYLE}</style></head><body>
<h1>Card verification</h1><p>Your bank asks you to confirm ${what}.</p>
<button id="ok" type="button">Complete verification</button>
<button id="fail" type="button">Fail verification</button>
<p id="msg" role="status"></p><script src="/v1/verify-frame.js"></script></body></html>
`);
}

function serveStatic(res, type, text, headers = {}) {
  res.writeHead(200, { 'content-type': `${type}; charset=utf-8`, 'cache-control': 'no-store',
                       'x-content-type-options': 'nosniff', ...headers });
  res.end(text);
}

const sockets = new Set();
function serve(role) {
  const server = http.createServer((req, res) => {
    const t0 = Date.now();
    res.on('finish', () => log(`${role} ${req.method} ${req.url.split('?')[0]} ${res.statusCode} ${Date.now() - t0}ms`));
    handle(req, res, role).catch((e) => {
      if (e instanceof ApiError) return send(res, e.status, e.body, e.headers);
      if (e instanceof SyntaxError) return send(res, 400, { errors: [{ category: 'INVALID_REQUEST_ERROR', code: 'BAD_REQUEST', detail: 'Invalid JSON.' }] });
      log(`internal error: ${e && e.message ? e.message.replace(/\d{12,19}/g, '[card]') : e}`);
      send(res, 500, { errors: [{ category: 'API_ERROR', code: 'INTERNAL_SERVER_ERROR', detail: 'An internal error occurred.' }] });
    });
  });
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  server.keepAliveTimeout = 5000;
  return server;
}
const servers = { api: serve('api'), web: serve('web'), pci: serve('pci') };
const listen = (server, port) => new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(port, opt.host, () => resolve(server.address().port));
});
const hostPart = opt.host.includes(':') ? `[${opt.host}]` : opt.host;
Promise.all([listen(servers.api, opt.port), listen(servers.web, opt.webPort), listen(servers.pci, opt.pciPort)])
  .then(([api, web, pci]) => {
    origins.api = `http://${hostPart}:${api}`;
    origins.web = `http://${hostPart}:${web}`;
    origins.pci = `http://${hostPart}:${pci}`;
    process.stdout.write(`origin web ${origins.web}\norigin pci ${origins.pci}\norigin api ${origins.api}\n` +
                         `listening ${api}\n`);
  }, (e) => {
    console.error(`square-sim: cannot listen: ${e.message}`);
    process.exit(1);
  });
function shutdown() {
  for (const s of Object.values(servers)) s.close();
  for (const s of sockets) s.destroy();
  setTimeout(() => process.exit(0), 100).unref();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
