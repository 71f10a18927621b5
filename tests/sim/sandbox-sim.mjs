// sandbox-sim.mjs: the sandbox card processor simulator (Node 20, no npm
// dependencies): customers, saved cards, charges, refunds, lookups, signed
// webhooks, a card tokenizer served from its own origin, Stripe-like
// idempotency, fault knobs and a ledger for tests.
//
// Usage: node sandbox-sim.mjs [--port N] [--host 127.0.0.1]
//          [--secret-key sk_test_...] [--publishable-key pk_test_...]
//          [--webhook-secret whsec_...] [--webhook-url URL]
//          [--frame-ancestors 'origin ...'] [--latency-ms N] [--timeout]
//          [--fail-after-commit] [--rate-limit] [--quiet]
// Port 0 (the default, or PORT=0) picks a free port. Once listening, prints
// "listening <port>" on stdout. Logs one line per request on stderr (method,
// path, status, ms): never a body, so never a card number (at most last 4).
//
// API (JSON bodies; Authorization: Bearer <secret key>):
//   POST /v1/customers            {reference, name?, email?}        -> customer
//   GET  /v1/customers/:id
//   POST /v1/payment_methods      {customer, token}                 -> payment method (saved card)
//   GET  /v1/payment_methods/:id; GET /v1/customers/:id/payment_methods
//   DELETE /v1/payment_methods/:id                                  (detach)
//   POST /v1/charges              {amount, currency, customer?, payment_method? | token?,
//                                  off_session?, save_card?, description?} -> charge
//   GET  /v1/charges/:id; GET /v1/charges?idempotency_key=K        -> {data: [charge]}
//   POST /v1/refunds              {charge, amount?}                 -> refund
//   POST /v1/tokens               {card: {number, exp_month, exp_year, cvc}}
//                                 (Bearer <publishable key>; used by the tokenizer frame)
// Every POST takes an Idempotency-Key header (required for charges and
// refunds). Stripe idempotency semantics: the same key replays the stored
// status and body (5xx included) with "Idempotent-Replayed: true"; the same
// key with other parameters answers 400 (idempotency_error); the same key
// while the first request is in flight answers 409.
//
// Errors: {"error": {"type", "code", "decline_code"?, "message", "charge"?}};
// declines are 402 with type "card_error"; off-session authentication is 402
// with code "authentication_required"; an on-session charge on the 3-D Secure
// card is 200 with status "requires_action".
//
// Test cards: 4242424242424242 succeeds; 4000000000000002 is declined
// (generic); 4000000000009995 insufficient funds; 4000000000000341 saves but
// every charge fails; 4000002760003184 requires authentication.
//
// Tokenizer (the portal never sees a card number): GET /tokenizer.js defines
// window.SandboxTokenizer.mount(element, {publishableKey, origin?}) which
// returns {tokenize(): Promise<{token, card:{brand,last4,exp_month,exp_year}}>,
// destroy()}. It puts an iframe (GET /tokenizer/frame, script
// /tokenizer/frame.js, all from this origin) holding the card form; tokenize()
// asks the frame by postMessage, the frame posts the card to /v1/tokens on
// this origin and answers the parent page with postMessage (target origin:
// the parent's), carrying only the token and the card's brand and last 4.
//
// 3-D Secure (card 4000002760003184): an on-session charge answers 200 with
// status "requires_action" and next_action {type: "redirect_to_url", url:
// "/authenticate/ch_..."}; saving that card answers 200 with a payment
// method in status "requires_action" and next_action url
// "/authenticate/pm_..." (its charges still need authentication). GET
// /authenticate/:id is the bank's challenge page (it may be framed; buttons
// "Complete authentication" and "Fail authentication"); it posts the
// outcome to POST /authenticate/:id {outcome: "succeed" | "fail"} and then
// tells its parent window {type: "pgw-3ds-done", outcome}. POST
// /__test/authenticate {id (or charge, payment_method), outcome} does the
// same without a browser.
// succeed: the charge succeeds (one charge; the card is kept with
// save_card), the payment method becomes usable; fail: the charge fails
// with decline_code "authentication_failed", the payment method is
// detached. Off session that card is always 402 authentication_required.
//
// Webhooks: events {id, type, created, data: {object}} for charge.succeeded,
// charge.failed, charge.requires_action and charge.refunded, signed with
// header "Sandbox-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, t + '.' +
// body)>", POSTed to --webhook-url (or the admin-configured URL) when set.
//
// Test and admin endpoints (loopback only, no auth):
//   POST /__test/tokens   {number, exp_month?, exp_year?}   -> {id: "tok_..."}
//   POST /__test/webhook  {charge, type?, timestamp?}       -> {headers, body}
//                         (a signed event for a charge, not delivered)
//   POST /__admin/faults  {latency_ms, timeout, fail_after_commit, rate_limit,
//                          count, match}   (all optional; {} clears)
//     latency_ms: delay every /v1 request; timeout: record a matching POST then
//     hold the answer until the client gives up; fail_after_commit: record it
//     then answer 500; rate_limit: answer 429 without doing anything; count:
//     how many matching POSTs the faults (but latency) apply to, then they
//     clear (0 = until cleared); match: path prefix, default "/v1/charges".
//   GET  /__admin/faults; GET /__admin/ledger -> {charges: [...]};
//   GET  /__admin/events; POST /__admin/config {webhook_url}; POST /__admin/reset

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
  secretKey: flag('--secret-key', process.env.SANDBOX_SECRET_KEY ?? 'sk_test_sandbox'),
  publishableKey: flag('--publishable-key', 'pk_test_sandbox'),
  webhookSecret: flag('--webhook-secret', process.env.SANDBOX_WEBHOOK_SECRET ?? 'whsec_sandbox'),
  webhookUrl: flag('--webhook-url', ''),
  frameAncestors: flag('--frame-ancestors', '*'),
  quiet: args.includes('--quiet'),
};
if (!Number.isInteger(opt.port) || opt.port < 0 || opt.port > 65535) {
  console.error(`sandbox-sim: bad port ${opt.port}`);
  process.exit(2);
}

const faultsDefault = () => ({
  latency_ms: 0, timeout: false, fail_after_commit: false, rate_limit: false,
  count: 0, match: '/v1/charges',
});
let faults = faultsDefault();
if (flag('--latency-ms', null) !== null) faults.latency_ms = Number(flag('--latency-ms'));
if (args.includes('--timeout')) faults.timeout = true;
if (args.includes('--fail-after-commit')) faults.fail_after_commit = true;
if (args.includes('--rate-limit')) faults.rate_limit = true;

let db;
function resetState() {
  db = {
    customers: new Map(), paymentMethods: new Map(), tokens: new Map(),
    charges: new Map(), chargeOrder: [], refunds: new Map(), events: [],
    idem: new Map(),
  };
}
resetState();

const TEST_CARDS = {
  '4242424242424242': { brand: 'visa', behaviour: 'ok' },
  '4000000000000002': { brand: 'visa', behaviour: 'decline' },
  '4000000000009995': { brand: 'visa', behaviour: 'insufficient_funds' },
  '4000000000000341': { brand: 'visa', behaviour: 'charge_fails' },
  '4000002760003184': { brand: 'visa', behaviour: 'authenticate' },
};
const DECLINE_MESSAGES = {
  generic_decline: 'Your card was declined.',
  insufficient_funds: 'Your card has insufficient funds.',
};

function newId(prefix) {
  return `${prefix}_${crypto.randomBytes(12).toString('hex')}`;
}
function nowSec() {
  return Math.floor(Date.now() / 1000);
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
  if (num.startsWith('4')) return 'visa';
  if (/^5[1-5]/.test(num) || /^2[2-7]/.test(num)) return 'mastercard';
  if (/^3[47]/.test(num)) return 'amex';
  if (/^6(011|5)/.test(num)) return 'discover';
  return 'unknown';
}

class ApiError extends Error {
  constructor(status, type, code, message, extra = {}) {
    super(message);
    this.status = status;
    this.body = { error: { type, code, message, ...extra } };
  }
}
const invalid = (message, code = 'parameter_invalid') =>
  new ApiError(400, 'invalid_request_error', code, message);
// Stripe names the parameter at fault: an unknown or spent token.
const tokenError = (message, code) =>
  new ApiError(400, 'invalid_request_error', code, message, { param: 'token' });

function log(line) {
  if (!opt.quiet) process.stderr.write(`sandbox-sim: ${line}\n`);
}

// Creates a token from card fields; the number is kept only in memory and
// never logged or returned (last 4 only).
function mintToken(card) {
  const number = String(card?.number ?? '').replace(/[\s-]/g, '');
  if (!/^\d{12,19}$/.test(number) || !luhn(number))
    throw new ApiError(402, 'card_error', 'incorrect_number', 'Your card number is incorrect.');
  const now = new Date();
  const expMonth = Number(card.exp_month ?? 12);
  let expYear = Number(card.exp_year ?? now.getUTCFullYear() + 3);
  if (expYear < 100) expYear += 2000;
  if (!Number.isInteger(expMonth) || expMonth < 1 || expMonth > 12)
    throw new ApiError(402, 'card_error', 'invalid_expiry_month', "Your card's expiration month is invalid.");
  if (!Number.isInteger(expYear) || expYear < now.getUTCFullYear() ||
      (expYear === now.getUTCFullYear() && expMonth < now.getUTCMonth() + 1))
    throw new ApiError(402, 'card_error', 'invalid_expiry_year', "Your card's expiration year is invalid.");
  if (card.cvc !== undefined && !/^\d{3,4}$/.test(String(card.cvc)))
    throw new ApiError(402, 'card_error', 'invalid_cvc', "Your card's security code is invalid.");
  const known = TEST_CARDS[number];
  const tok = {
    id: newId('tok'),
    used: false,
    behaviour: known ? known.behaviour : 'ok',
    card: { brand: known ? known.brand : brandOf(number), last4: number.slice(-4),
            exp_month: expMonth, exp_year: expYear },
  };
  db.tokens.set(tok.id, tok);
  return { id: tok.id, object: 'token', card: { ...tok.card } };
}

function takeToken(id) {
  const tok = db.tokens.get(String(id ?? ''));
  if (!tok) throw tokenError(`No such token: '${id}'`, 'resource_missing');
  if (tok.used) throw tokenError(`You cannot use a token more than once: '${id}'`, 'token_already_used');
  tok.used = true;
  return tok;
}

function createCustomer(body) {
  const c = {
    id: newId('cus'), object: 'customer', created: nowSec(),
    reference: body.reference ?? null, name: body.name ?? null, email: body.email ?? null,
  };
  db.customers.set(c.id, c);
  return c;
}

function getCustomer(id) {
  const c = db.customers.get(String(id ?? ''));
  if (!c) throw invalid(`No such customer: '${id}'`, 'resource_missing');
  return c;
}

function pmView(pm) {
  const { behaviour, ...view } = pm;
  return view;
}

function savePaymentMethod(body) {
  const cust = getCustomer(body.customer);
  const tok = takeToken(body.token);
  if (tok.behaviour === 'decline')
    throw new ApiError(402, 'card_error', 'card_declined', DECLINE_MESSAGES.generic_decline,
                       { decline_code: 'generic_decline' });
  const pm = {
    id: newId('pm'), object: 'payment_method', customer: cust.id, created: nowSec(),
    card: { ...tok.card }, behaviour: tok.behaviour, status: 'active', next_action: null,
  };
  if (tok.behaviour === 'authenticate') {
    pm.status = 'requires_action';
    pm.next_action = { type: 'redirect_to_url', url: `/authenticate/${pm.id}` };
  }
  db.paymentMethods.set(pm.id, pm);
  return pmView(pm);
}

// The cardholder passed or failed the challenge of id (a charge or a
// payment method in requires_action).
function authenticate(id, outcome) {
  if (outcome !== 'succeed' && outcome !== 'fail') throw invalid('outcome must be succeed or fail');
  const pm = db.paymentMethods.get(String(id ?? ''));
  if (pm) {
    if (pm.status !== 'requires_action') throw invalid(`Payment method ${pm.id} has no open challenge`, 'unexpected_state');
    pm.next_action = null;
    pm.status = outcome === 'succeed' ? 'active' : 'failed';
    if (outcome === 'fail') pm.detached = true;
    return pmView(pm);
  }
  const ch = getCharge(id);
  if (ch.status !== 'requires_action') throw invalid(`Charge ${ch.id} has no open challenge`, 'unexpected_state');
  ch.next_action = null;
  if (outcome === 'succeed') {
    ch.status = 'succeeded';
    if (ch._save_card && ch._token_card) {
      const spm = { id: newId('pm'), object: 'payment_method', customer: ch.customer, created: nowSec(),
                    card: { ...ch._token_card }, behaviour: ch._behaviour, status: 'active', next_action: null };
      db.paymentMethods.set(spm.id, spm);
      ch.payment_method = spm.id;
      ch.saved_payment_method = spm.id;
    }
    emitEvent('charge.succeeded', chargeView(ch));
  } else {
    Object.assign(ch, { status: 'failed', failure_code: 'card_declined', decline_code: 'authentication_failed',
                        failure_message: 'The cardholder could not be authenticated.' });
    emitEvent('charge.failed', chargeView(ch));
  }
  return chargeView(ch);
}

function challengeHtml(id) {
  const pm = db.paymentMethods.get(id);
  const ch = pm ? null : db.charges.get(id);
  const what = pm ? 'saving your card' : ch ? `a payment of ${(ch.amount / 100).toFixed(2)} ${ch.currency.toUpperCase()}` : '';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Authenticate</title>
<style>body{font:16px system-ui,sans-serif;margin:8px}button{font:inherit;margin:6px 6px 0 0;padding:6px 10px}</style>
</head><body><h1>Sandbox bank</h1><p>Your bank asks you to confirm ${what}.</p>
<button id="ok" type="button" data-id="${id.replace(/[^\w]/g, '')}">Complete authentication</button>
<button id="fail" type="button">Fail authentication</button>
<p id="msg" role="status"></p><script src="/authenticate.js"></script></body></html>
`;
}

const CHALLENGE_JS = `(function () {
  var id = document.getElementById('ok').getAttribute('data-id');
  function go(outcome) {
    fetch('/authenticate/' + id, { method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ outcome: outcome }) })
      .then(function (r) { return r.json(); })
      .then(function (j) {
        document.getElementById('msg').textContent = j.error ? j.error.message : 'Done.';
        if (window.parent !== window) window.parent.postMessage({ type: 'pgw-3ds-done', outcome: outcome }, '*');
      });
  }
  document.getElementById('ok').addEventListener('click', function () { go('succeed'); });
  document.getElementById('fail').addEventListener('click', function () { go('fail'); });
})();
`;

function chargeView(ch) {
  const { _save_card, _token_card, _behaviour, ...v } = ch;
  return { ...v, card: { ...ch.card } };
}

function emitEvent(type, object) {
  const ev = { id: newId('evt'), object: 'event', type, created: nowSec(), data: { object } };
  db.events.push(ev);
  if (opt.webhookUrl) deliver(ev, 0);
  return ev;
}

function signPayload(body, t) {
  const v1 = crypto.createHmac('sha256', opt.webhookSecret).update(`${t}.${body}`).digest('hex');
  return `t=${t},v1=${v1}`;
}

function deliver(ev, attempt) {
  const body = JSON.stringify(ev);
  let url;
  try { url = new URL(opt.webhookUrl); } catch { return; }
  const req = http.request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'sandbox-signature': signPayload(body, nowSec()),
               'content-length': Buffer.byteLength(body) },
    timeout: 5000,
  }, (res) => {
    res.resume();
    if (res.statusCode >= 300 && attempt < 3) setTimeout(() => deliver(ev, attempt + 1), 500 * (attempt + 1));
  });
  req.on('error', () => { if (attempt < 3) setTimeout(() => deliver(ev, attempt + 1), 500 * (attempt + 1)); });
  req.on('timeout', () => req.destroy());
  req.end(body);
}

// Records a charge; returns {status, body} (the answer to store under the
// idempotency key).
function createCharge(body, idemKey) {
  const amount = body.amount;
  if (!Number.isSafeInteger(amount) || amount <= 0)
    throw invalid('amount must be a positive integer in minor units', 'parameter_invalid_integer');
  if (amount > 99999999) throw invalid('Amount must be no more than $999,999.99', 'amount_too_large');
  const currency = String(body.currency ?? '').toLowerCase();
  if (!/^[a-z]{3}$/.test(currency)) throw invalid('currency must be an ISO 4217 code');
  if ((body.payment_method == null) === (body.token == null))
    throw invalid('exactly one of payment_method and token is required');
  if (body.save_card && body.customer == null)
    throw invalid('save_card requires customer');
  const offSession = Boolean(body.off_session);
  let card;
  let behaviour;
  let pmId = null;
  let customer = null;
  if (body.customer != null) customer = getCustomer(body.customer).id;
  if (body.payment_method != null) {
    const pm = db.paymentMethods.get(String(body.payment_method));
    if (!pm || pm.detached) throw invalid(`No such payment_method: '${body.payment_method}'`, 'resource_missing');
    if (customer && pm.customer !== customer)
      throw invalid('The payment method does not belong to this customer', 'payment_method_customer_mismatch');
    customer = pm.customer;
    card = { ...pm.card };
    behaviour = pm.behaviour;
    pmId = pm.id;
  } else {
    const tok = takeToken(body.token);
    card = { ...tok.card };
    behaviour = tok.behaviour;
  }
  const ch = {
    id: newId('ch'), object: 'charge', created: nowSec(), amount, currency,
    amount_refunded: 0, customer, payment_method: pmId, card,
    off_session: offSession, idempotency_key: idemKey ?? null,
    description: body.description ?? null, status: 'succeeded',
    failure_code: null, decline_code: null, failure_message: null, next_action: null,
  };
  let status = 200;
  let answer;
  if (behaviour === 'decline' || behaviour === 'insufficient_funds' || behaviour === 'charge_fails') {
    const dc = behaviour === 'insufficient_funds' ? 'insufficient_funds' : 'generic_decline';
    Object.assign(ch, { status: 'failed', failure_code: 'card_declined', decline_code: dc,
                        failure_message: DECLINE_MESSAGES[dc] });
    status = 402;
    answer = { error: { type: 'card_error', code: 'card_declined', decline_code: dc,
                        message: DECLINE_MESSAGES[dc], charge: ch.id } };
  } else if (behaviour === 'authenticate') {
    if (offSession) {
      Object.assign(ch, { status: 'failed', failure_code: 'authentication_required',
                          decline_code: 'authentication_required',
                          failure_message: 'This payment needs the cardholder to authenticate.' });
      status = 402;
      answer = { error: { type: 'card_error', code: 'authentication_required',
                          decline_code: 'authentication_required',
                          message: 'This payment needs the cardholder to authenticate.', charge: ch.id } };
    } else {
      ch.status = 'requires_action';
      ch.next_action = { type: 'redirect_to_url', url: `/authenticate/${ch.id}` };
      if (body.save_card && body.token != null) {
        ch._save_card = true;
        ch._token_card = { ...card };
      }
      ch._behaviour = behaviour;
    }
  }
  if (ch.status === 'succeeded' && body.save_card && body.token != null) {
    const pm = { id: newId('pm'), object: 'payment_method', customer, created: nowSec(),
                 card: { ...card }, behaviour };
    db.paymentMethods.set(pm.id, pm);
    ch.payment_method = pm.id;
    ch.saved_payment_method = pm.id;
  }
  db.charges.set(ch.id, ch);
  db.chargeOrder.push(ch.id);
  emitEvent(ch.status === 'succeeded' ? 'charge.succeeded'
    : ch.status === 'requires_action' ? 'charge.requires_action' : 'charge.failed', chargeView(ch));
  if (!answer) answer = chargeView(ch);
  return { status, body: answer };
}

function getCharge(id) {
  const ch = db.charges.get(String(id ?? ''));
  if (!ch) throw invalid(`No such charge: '${id}'`, 'resource_missing');
  return ch;
}

function createRefund(body) {
  const ch = getCharge(body.charge);
  if (ch.status !== 'succeeded') throw invalid(`Charge ${ch.id} has not succeeded`, 'charge_not_refundable');
  const left = ch.amount - ch.amount_refunded;
  const amount = body.amount == null || body.amount === 0 ? left : body.amount;
  if (!Number.isSafeInteger(amount) || amount <= 0) throw invalid('amount must be a positive integer');
  if (amount > left)
    throw invalid(`Refund amount (${amount}) is greater than unrefunded amount on charge (${left})`, 'amount_too_large');
  const re = { id: newId('re'), object: 'refund', charge: ch.id, amount, currency: ch.currency,
               status: 'succeeded', created: nowSec() };
  ch.amount_refunded += amount;
  db.refunds.set(re.id, re);
  emitEvent('charge.refunded', chargeView(ch));
  return re;
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let n = 0;
    req.on('data', (c) => {
      n += c.length;
      if (n > 65536) { reject(invalid('body too large')); req.destroy(); return; }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseJson(text) {
  if (text === '') return {};
  try {
    const v = JSON.parse(text);
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
    return v;
  } catch {
    throw invalid('The body must be a JSON object', 'parameter_invalid');
  }
}

function send(res, status, body, headers = {}) {
  if (res.writableEnded || res.destroyed) return;
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function bearer(req) {
  const h = req.headers.authorization ?? '';
  return h.startsWith('Bearer ') ? h.slice(7) : '';
}
function safeEqual(a, b) {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Decides the fault for one POST; consumes one count.
function takeFault(method, path) {
  if (method !== 'POST' || !path.startsWith(faults.match || '/v1/charges')) return null;
  if (!faults.timeout && !faults.fail_after_commit && !faults.rate_limit) return null;
  const f = { timeout: faults.timeout, fail_after_commit: faults.fail_after_commit, rate_limit: faults.rate_limit };
  if (faults.count > 0) {
    faults.count -= 1;
    if (faults.count === 0) faults = { ...faultsDefault(), latency_ms: faults.latency_ms };
  }
  return f;
}

const TOKENIZER_JS = `// Sandbox card tokenizer: the card form lives in an iframe on this origin;
// the page receives only a token.
(function () {
  var ORIGIN = new URL(document.currentScript.src).origin;
  function mount(el, opts) {
    opts = opts || {};
    var frame = document.createElement('iframe');
    frame.src = ORIGIN + '/tokenizer/frame?pk=' + encodeURIComponent(opts.publishableKey || '') +
      '&parent=' + encodeURIComponent(window.location.origin);
    frame.title = 'Card details';
    // CSSOM, not a style attribute: a page with a strict CSP
    // (style-src 'self') refuses inline style attributes.
    frame.style.border = '0';
    frame.style.width = '100%';
    frame.style.height = (opts.height || 190) + 'px';
    el.appendChild(frame);
    var seq = 0, pending = {};
    function onMessage(ev) {
      if (ev.origin !== ORIGIN || ev.source !== frame.contentWindow) return;
      var m = ev.data || {};
      var p = pending[m.id];
      if (!p) return;
      delete pending[m.id];
      if (m.type === 'sandbox-token') p.resolve({ token: m.token, card: m.card });
      else p.reject(new Error(m.message || 'Card error'));
    }
    window.addEventListener('message', onMessage);
    return {
      frame: frame,
      tokenize: function () {
        return new Promise(function (resolve, reject) {
          var id = ++seq;
          pending[id] = { resolve: resolve, reject: reject };
          frame.contentWindow.postMessage({ type: 'sandbox-tokenize', id: id }, ORIGIN);
        });
      },
      destroy: function () {
        window.removeEventListener('message', onMessage);
        frame.remove();
      }
    };
  }
  window.SandboxTokenizer = { mount: mount, origin: ORIGIN };
})();
`;

const FRAME_JS = `// Sandbox tokenizer frame: posts the card to this origin, answers the parent
// page with the token only.
(function () {
  var q = new URLSearchParams(window.location.search);
  var pk = q.get('pk') || '';
  var parentOrigin = q.get('parent') || '';
  var err = document.getElementById('card-error');
  function field(id) { return document.getElementById(id).value.trim(); }
  window.addEventListener('message', function (ev) {
    if (ev.origin !== parentOrigin || ev.source !== window.parent) return;
    var m = ev.data || {};
    if (m.type !== 'sandbox-tokenize') return;
    var exp = field('card-exp').split('/');
    var body = { card: { number: field('card-number').replace(/[\\s-]/g, ''),
      exp_month: Number(exp[0]), exp_year: Number(exp[1]), cvc: field('card-cvc'),
      postal_code: field('card-postal') } };
    err.textContent = '';
    fetch('/v1/tokens', { method: 'POST', headers: { 'content-type': 'application/json',
      authorization: 'Bearer ' + pk }, body: JSON.stringify(body) })
      .then(function (r) { return r.json(); })
      .then(function (j) {
        if (j.error) {
          err.textContent = j.error.message;
          window.parent.postMessage({ type: 'sandbox-error', id: m.id, message: j.error.message }, parentOrigin);
        } else {
          window.parent.postMessage({ type: 'sandbox-token', id: m.id, token: j.id, card: j.card }, parentOrigin);
        }
      })
      .catch(function () {
        window.parent.postMessage({ type: 'sandbox-error', id: m.id, message: 'The card could not be checked. Try again.' }, parentOrigin);
      });
  });
})();
`;

function frameHtml() {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Card details</title>
<style>
body{font:16px system-ui,sans-serif;margin:0;padding:4px}
label{display:block;margin:6px 0 2px;font-size:14px}
input{font:inherit;width:100%;box-sizing:border-box;padding:6px;border:1px solid #888;border-radius:4px}
.row{display:flex;gap:8px}.row>div{flex:1}
#card-error{color:#b00020;min-height:1.2em;font-size:14px}
</style></head><body>
<form id="card-form" autocomplete="on" novalidate>
<label for="card-number">Card number</label>
<input id="card-number" name="cardnumber" inputmode="numeric" autocomplete="cc-number" maxlength="23">
<div class="row"><div><label for="card-exp">Expiry (MM/YY)</label>
<input id="card-exp" name="exp-date" autocomplete="cc-exp" placeholder="MM/YY" maxlength="7"></div>
<div><label for="card-cvc">CVC</label>
<input id="card-cvc" name="cvc" inputmode="numeric" autocomplete="cc-csc" maxlength="4"></div>
<div><label for="card-postal">ZIP</label>
<input id="card-postal" name="postal" autocomplete="postal-code" maxlength="10"></div></div>
<p id="card-error" role="alert"></p>
</form>
<script src="/tokenizer/frame.js"></script>
</body></html>
`;
}

async function handle(req, res) {
  const url = new URL(req.url, 'http://sim');
  const path = url.pathname;
  const method = req.method;

  // Static tokenizer pieces, from this origin.
  if (method === 'GET' && path === '/tokenizer.js') {
    res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-store',
                         'access-control-allow-origin': '*' });
    return res.end(TOKENIZER_JS);
  }
  if (method === 'GET' && path === '/tokenizer/frame.js') {
    res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-store' });
    return res.end(FRAME_JS);
  }
  if (method === 'GET' && path === '/tokenizer/frame') {
    res.writeHead(200, {
      'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store',
      'content-security-policy': `default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; frame-ancestors ${opt.frameAncestors}`,
      'x-content-type-options': 'nosniff',
    });
    return res.end(frameHtml());
  }

  let am;
  if (method === 'GET' && path === '/authenticate.js') {
    res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-store' });
    return res.end(CHALLENGE_JS);
  }
  if (method === 'GET' && (am = path.match(/^\/authenticate\/((?:ch|pm)_\w+)$/))) {
    const known = db.charges.has(am[1]) || db.paymentMethods.has(am[1]);
    res.writeHead(known ? 200 : 404, {
      'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff',
      'content-security-policy': `default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; frame-ancestors ${opt.frameAncestors}`,
    });
    return res.end(challengeHtml(am[1]));
  }

  const text = await readBody(req);

  if (method === 'POST' && (am = path.match(/^\/authenticate\/((?:ch|pm)_\w+)$/)))
    return send(res, 200, authenticate(am[1], parseJson(text).outcome));

  // Admin and test helpers.
  if (path.startsWith('/__admin/') || path.startsWith('/__test/')) {
    if (method === 'GET' && path === '/__admin/ledger')
      return send(res, 200, { charges: db.chargeOrder.map((id) => chargeView(db.charges.get(id))) });
    if (method === 'GET' && path === '/__admin/events') return send(res, 200, { events: db.events });
    if (method === 'GET' && path === '/__admin/faults') return send(res, 200, faults);
    if (method === 'GET' && path === '/__admin/health') return send(res, 200, { ok: true });
    const body = parseJson(text);
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
    if (method === 'POST' && path === '/__test/authenticate')
      return send(res, 200, authenticate(body.id ?? body.charge ?? body.payment_method, body.outcome));
    if (method === 'POST' && path === '/__test/tokens') {
      const tok = mintToken({ number: body.number, exp_month: body.exp_month, exp_year: body.exp_year });
      return send(res, 200, tok);
    }
    if (method === 'POST' && path === '/__test/webhook') {
      const ch = getCharge(body.charge);
      const type = body.type ?? (ch.status === 'succeeded' ? 'charge.succeeded'
        : ch.status === 'requires_action' ? 'charge.requires_action' : 'charge.failed');
      const ev = { id: newId('evt'), object: 'event', type, created: nowSec(), data: { object: chargeView(ch) } };
      db.events.push(ev);
      const raw = JSON.stringify(ev);
      const t = body.timestamp ?? nowSec();
      return send(res, 200, { headers: { 'Sandbox-Signature': signPayload(raw, t) }, body: raw });
    }
    return send(res, 404, { error: { type: 'invalid_request_error', code: 'not_found', message: 'No such endpoint' } });
  }

  if (!path.startsWith('/v1/'))
    return send(res, 404, { error: { type: 'invalid_request_error', code: 'not_found', message: 'No such endpoint' } });

  // Latency: a POST sleeps after taking its idempotency slot (so a
  // concurrent request with the same key sees it in flight), others here.
  if (faults.latency_ms > 0 && method !== 'POST') await sleep(faults.latency_ms);

  // Tokens: publishable key (from the tokenizer frame).
  if (method === 'POST' && path === '/v1/tokens') {
    if (!safeEqual(bearer(req), opt.publishableKey))
      return send(res, 401, { error: { type: 'invalid_request_error', code: 'invalid_api_key', message: 'Invalid publishable key.' } });
    const body = parseJson(text);
    return send(res, 200, mintToken(body.card ?? {}));
  }

  if (!safeEqual(bearer(req), opt.secretKey))
    return send(res, 401, { error: { type: 'invalid_request_error', code: 'invalid_api_key',
                                     message: 'Invalid API key provided.' } });

  if (method === 'GET') {
    let m;
    if ((m = path.match(/^\/v1\/charges\/([\w]+)$/))) return send(res, 200, chargeView(getCharge(m[1])));
    if (path === '/v1/charges') {
      const key = url.searchParams.get('idempotency_key');
      const list = db.chargeOrder.map((id) => db.charges.get(id))
        .filter((ch) => key == null || ch.idempotency_key === key).map(chargeView);
      return send(res, 200, { object: 'list', data: list });
    }
    if ((m = path.match(/^\/v1\/customers\/([\w]+)$/))) return send(res, 200, getCustomer(m[1]));
    if ((m = path.match(/^\/v1\/customers\/([\w]+)\/payment_methods$/))) {
      const c = getCustomer(m[1]);
      const list = [...db.paymentMethods.values()].filter((pm) => pm.customer === c.id && !pm.detached).map(pmView);
      return send(res, 200, { object: 'list', data: list });
    }
    if ((m = path.match(/^\/v1\/payment_methods\/([\w]+)$/))) {
      const pm = db.paymentMethods.get(m[1]);
      if (!pm) throw invalid(`No such payment_method: '${m[1]}'`, 'resource_missing');
      return send(res, 200, pmView(pm));
    }
    return send(res, 404, { error: { type: 'invalid_request_error', code: 'not_found', message: 'No such endpoint' } });
  }

  if (method === 'DELETE') {
    const m = path.match(/^\/v1\/payment_methods\/([\w]+)$/);
    const pm = m && db.paymentMethods.get(m[1]);
    if (!pm) throw invalid('No such payment_method', 'resource_missing');
    pm.detached = true;
    return send(res, 200, { ...pmView(pm), customer: null });
  }

  if (method !== 'POST')
    return send(res, 405, { error: { type: 'invalid_request_error', code: 'method_not_allowed', message: 'Method not allowed' } });

  const body = parseJson(text);
  const key = req.headers['idempotency-key'];
  if ((path === '/v1/charges' || path === '/v1/refunds') && !key)
    throw invalid('An Idempotency-Key header is required', 'idempotency_key_missing');
  if (key !== undefined && (key.length === 0 || key.length > 255))
    throw invalid('Idempotency-Key must be 1 to 255 characters', 'idempotency_key_invalid');

  const fault = takeFault(method, path);
  if (fault?.rate_limit)
    return send(res, 429, { error: { type: 'rate_limit_error', code: 'rate_limit',
                                     message: 'Too many requests. Slow down.' } }, { 'retry-after': '1' });

  // Stripe idempotency: fingerprint = method + path + parameters.
  const fingerprint = crypto.createHash('sha256').update(`${method} ${path} ${JSON.stringify(body)}`).digest('hex');
  let slot = null;
  if (key !== undefined) {
    const prev = db.idem.get(key);
    if (prev) {
      if (prev.fingerprint !== fingerprint)
        return send(res, 400, { error: { type: 'idempotency_error', code: 'idempotency_key_in_use',
          message: 'Keys for idempotent requests can only be used with the same parameters they were first used with.' } });
      if (prev.inflight)
        return send(res, 409, { error: { type: 'idempotency_error', code: 'idempotency_request_in_progress',
          message: 'A request with this idempotency key is still being processed. Retry later.' } });
      return send(res, prev.status, prev.body, { 'idempotent-replayed': 'true' });
    }
    slot = { fingerprint, inflight: true, status: 0, body: null };
    db.idem.set(key, slot);
  }
  if (faults.latency_ms > 0) await sleep(faults.latency_ms);

  let status = 200;
  let answer;
  try {
    let m;
    if (path === '/v1/customers') answer = createCustomer(body);
    else if (path === '/v1/payment_methods') answer = savePaymentMethod(body);
    else if (path === '/v1/charges') ({ status, body: answer } = createCharge(body, key));
    else if (path === '/v1/refunds') answer = createRefund(body);
    else if ((m = path.match(/^\/v1\/payment_methods\/([\w]+)\/detach$/))) {
      const pm = db.paymentMethods.get(m[1]);
      if (!pm) throw invalid('No such payment_method', 'resource_missing');
      pm.detached = true;
      answer = { ...pmView(pm), customer: null };
    } else {
      status = 404;
      answer = { error: { type: 'invalid_request_error', code: 'not_found', message: 'No such endpoint' } };
    }
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
    status = e.status;
    answer = e.body;
  }
  if (fault?.fail_after_commit && status < 400) {
    status = 500;
    answer = { error: { type: 'api_error', code: 'internal_error',
                        message: 'An error occurred with our connection to the processor.' } };
  }
  if (slot && status === 400 && answer?.error?.type === 'invalid_request_error') {
    // Stripe: a request that failed validation changed nothing and is not
    // saved; the key may be used again.
    db.idem.delete(key);
  } else if (slot) {
    // Stripe saves the result of any request that began executing, 5xx
    // included.
    slot.inflight = false;
    slot.status = status;
    slot.body = answer;
  }
  if (fault?.timeout) {
    // Hold the answer until the client gives up.
    res.on('close', () => {});
    return;
  }
  return send(res, status, answer);
}

const sockets = new Set();
const server = http.createServer((req, res) => {
  const t0 = Date.now();
  res.on('finish', () => log(`${req.method} ${req.url.split('?')[0]} ${res.statusCode} ${Date.now() - t0}ms`));
  handle(req, res).catch((e) => {
    if (e instanceof ApiError) return send(res, e.status, e.body);
    log(`internal error: ${e && e.message ? e.message.replace(/\d{12,19}/g, '[card]') : e}`);
    send(res, 500, { error: { type: 'api_error', code: 'internal_error', message: 'Internal error' } });
  });
});
server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
server.keepAliveTimeout = 5000;
server.listen(opt.port, opt.host, () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});
function shutdown() {
  server.close();
  for (const s of sockets) s.destroy();
  setTimeout(() => process.exit(0), 100).unref();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
