// helper.mjs: the conformance suite's hooks for the Stripe and Square
// simulators (SIM_URL, PROC=stripe|square): mint test tokens as the
// processors' browser SDKs would, set fault knobs, print signed webhooks,
// and check the ledger against the idempotency keys the suite used.
//   node helper.mjs token SCENARIO       -> prints pm_... (Stripe) or cnon:... (Square)
//   node helper.mjs fault MODE           (none|timeout|429|500|latency)
//   node helper.mjs webhook PAYMENT_REF  -> headers, an empty line, the raw body
//   node helper.mjs ledger KEYS_FILE START -> TAP lines numbered from START
//   node helper.mjs action OUTCOME KIND REF [NAME=VALUE]... -> does what
//        the browser SDK does with a next action (succeed or fail the
//        challenge); prints Square's verification token when there is one
import { readFileSync } from 'node:fs';

const base = process.env.SIM_URL;
const proc = process.env.PROC;
if (!base || !['stripe', 'square'].includes(proc)) {
  console.error('helper: set SIM_URL and PROC=stripe|square');
  process.exit(2);
}
const [cmd, arg, arg2] = process.argv.slice(2);
// Stripe's test card numbers (https://docs.stripe.com/testing), entered as
// Stripe.js would; Square: the Sandbox nonces where Square documents one,
// else a card number the simulator tokenizes with a scenario it documents.
const STRIPE_CARDS = {
  success: '4242424242424242',
  decline: '4000000000000002',
  insufficient_funds: '4000000000009995',
  charge_fails: '4000000000000341',
  requires_action: '4000002760003184',
};
const SQUARE_TOKENS = {
  success: { number: '4111111111111111' },
  decline: { nonce: 'cnon:card-nonce-declined' },
  insufficient_funds: { number: '4000000000009995' },
  charge_fails: { number: '4000000000000341' },
  requires_action: { number: '4000002760003184' },
};
const ALL_NUMBERS = [...Object.values(STRIPE_CARDS), '4111111111111111'];

async function post(path, body) {
  const r = await fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json' },
                                       body: JSON.stringify(body) });
  const j = await r.json();
  if (!r.ok) throw new Error(`${path}: HTTP ${r.status} ${JSON.stringify(j)}`);
  return j;
}

try {
  if (cmd === 'token') {
    if (proc === 'stripe') {
      if (!STRIPE_CARDS[arg]) throw new Error(`unknown scenario ${arg}`);
      const pm = await post('/__test/payment_methods', { number: STRIPE_CARDS[arg], cvc: '123' });
      process.stdout.write(`${pm.id}\n`);
    } else {
      const t = SQUARE_TOKENS[arg];
      if (!t) throw new Error(`unknown scenario ${arg}`);
      if (t.nonce) process.stdout.write(`${t.nonce}\n`);
      else process.stdout.write(`${(await post('/__test/tokens', { number: t.number, cvv: '111', postal_code: '94103' })).token}\n`);
    }
  } else if (cmd === 'fault') {
    const knobs = { none: {}, timeout: { timeout: true, count: 1 }, 429: { rate_limit: true, count: 1 },
                    500: { fail_after_commit: true, count: 1 }, latency: { latency_ms: 500 } }[arg];
    if (!knobs) throw new Error(`unknown fault ${arg}`);
    await post('/__admin/faults', knobs);
  } else if (cmd === 'webhook') {
    const w = await post('/__test/webhook', proc === 'stripe' ? { payment_intent: arg } : { payment_id: arg });
    let out = '';
    for (const [k, v] of Object.entries(w.headers)) out += `${k}: ${v}\n`;
    process.stdout.write(`${out}\n${w.body}\n`);
  } else if (cmd === 'action') {
    const [outcome, kind, ref, ...kvs] = process.argv.slice(3);
    const v = Object.fromEntries(kvs.map((s) => [s.slice(0, s.indexOf('=')), s.slice(s.indexOf('=') + 1)]));
    if (kind === 'stripe.handle_next_action') {
      await post('/__test/authenticate', { intent: ref, outcome });
    } else if (kind === 'stripe.confirm_card_payment') {
      // What stripe.confirmCardPayment does: confirm on session with the
      // publishable key and the client secret, then the challenge.
      const r = await fetch(`${base}/v1/payment_intents/${ref}/confirm`, {
        method: 'POST',
        headers: { authorization: `Bearer ${process.env.STRIPE_PK ?? 'pk_test_conformance'}`,
                   'content-type': 'application/x-www-form-urlencoded',
                   'idempotency-key': `confirm-${ref}-${process.pid}` },
        body: new URLSearchParams({ client_secret: v.client_secret, payment_method: v.payment_method }).toString(),
      });
      const pi = await r.json();
      if (!r.ok) throw new Error(`confirm ${ref}: HTTP ${r.status} ${JSON.stringify(pi.error ?? {})}`);
      if (pi.status === 'requires_action') await post('/__test/authenticate', { intent: ref, outcome });
    } else if (kind === 'square.verify_buyer') {
      const r = await fetch(base + '/__test/verify', {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ source_id: v.source_id, intent: v.intent, outcome }),
      });
      const j = await r.json();
      if (j.token) process.stdout.write(`${j.token}\n`);
      else if (outcome === 'succeed') throw new Error(`verify ${v.source_id}: HTTP ${r.status}`);
    } else {
      throw new Error(`unknown next action ${kind}`);
    }
  } else if (cmd === 'ledger') {
    // Each key: exactly the expected number of successful payments, and
    // never more than one payment record of any status.
    let n = Number(arg2);
    const r = await fetch(base + '/__admin/ledger');
    const ledger = await r.json();
    const pays = proc === 'stripe'
      ? ledger.payment_intents.map((p) => ({ key: p.metadata.idempotency_key, ok: p.status === 'succeeded' }))
      : ledger.payments.map((p) => ({ key: p.idempotency_key, ok: p.status === 'COMPLETED' }));
    const lines = readFileSync(arg, 'utf8').split('\n').filter(Boolean);
    let bad = 0;
    for (const line of lines) {
      const [key, want] = line.split(' ');
      const mine = pays.filter((p) => p.key === key);
      const good = mine.filter((p) => p.ok).length;
      if (good !== Number(want) || mine.length > 1) {
        bad++;
        console.log(`# ${key}: ${mine.length} records, ${good} succeeded, expected ${want}`);
      }
    }
    console.log(`${bad === 0 ? 'ok' : 'not ok'} ${n++} - ${proc} ledger: ${lines.length} idempotency keys, each with exactly the expected payments (${pays.length} payments in all)`);
    const text = JSON.stringify(ledger);
    const leak = ALL_NUMBERS.some((num) => text.includes(num));
    console.log(`${leak ? 'not ok' : 'ok'} ${n++} - ${proc} ledger holds no card number`);
  } else {
    throw new Error(`unknown command ${cmd}`);
  }
} catch (e) {
  console.error(`helper: ${e.message}`);
  process.exit(1);
}
