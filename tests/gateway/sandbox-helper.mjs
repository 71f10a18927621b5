// sandbox-helper.mjs: the conformance suite's hooks for the sandbox
// simulator (SIM_URL): mint test-card tokens, set fault knobs, print signed
// webhooks, and check the ledger against the keys the suite used.
//   node sandbox-helper.mjs token SCENARIO     -> prints tok_...
//   node sandbox-helper.mjs fault MODE         (none|timeout|429|500|latency)
//   node sandbox-helper.mjs webhook CHARGE_ID  -> headers, empty line, body
//   node sandbox-helper.mjs ledger KEYS_FILE START  -> TAP lines from START
//   node sandbox-helper.mjs action OUTCOME KIND REF [NAME=VALUE]...
//        passes (succeed) or fails the challenge of a next action
import { readFileSync } from 'node:fs';

const base = process.env.SIM_URL;
if (!base) { console.error('sandbox-helper: SIM_URL is not set'); process.exit(2); }
const [cmd, arg, arg2] = process.argv.slice(2);
const CARDS = {
  success: '4242424242424242',
  decline: '4000000000000002',
  insufficient_funds: '4000000000009995',
  charge_fails: '4000000000000341',
  requires_action: '4000002760003184',
};

async function post(path, body) {
  const r = await fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json' },
                                       body: JSON.stringify(body) });
  const j = await r.json();
  if (!r.ok) throw new Error(`${path}: HTTP ${r.status} ${JSON.stringify(j)}`);
  return j;
}

try {
  if (cmd === 'token') {
    if (!CARDS[arg]) throw new Error(`unknown scenario ${arg}`);
    const t = await post('/__test/tokens', { number: CARDS[arg] });
    process.stdout.write(`${t.id}\n`);
  } else if (cmd === 'fault') {
    const knobs = { none: {}, timeout: { timeout: true, count: 1 }, 429: { rate_limit: true, count: 1 },
                    500: { fail_after_commit: true, count: 1 }, latency: { latency_ms: 500 } }[arg];
    if (!knobs) throw new Error(`unknown fault ${arg}`);
    await post('/__admin/faults', knobs);
  } else if (cmd === 'webhook') {
    const w = await post('/__test/webhook', { charge: arg });
    let out = '';
    for (const [k, v] of Object.entries(w.headers)) out += `${k}: ${v}\n`;
    process.stdout.write(`${out}\n${w.body}\n`);
  } else if (cmd === 'action') {
    const [outcome, kind, ref] = process.argv.slice(3);
    if (kind !== 'sandbox.authenticate') throw new Error(`unknown next action ${kind}`);
    await post('/__test/authenticate', { id: ref, outcome });
  } else if (cmd === 'ledger') {
    // Each key: exactly the expected number of successful charges, and never
    // more than one charge record of any status.
    let n = Number(arg2);
    const r = await fetch(base + '/__admin/ledger');
    const { charges } = await r.json();
    const lines = readFileSync(arg, 'utf8').split('\n').filter(Boolean);
    let bad = 0;
    for (const line of lines) {
      const [key, want] = line.split(' ');
      const mine = charges.filter((c) => c.idempotency_key === key);
      const ok = mine.filter((c) => c.status === 'succeeded').length === Number(want) && mine.length <= 1;
      if (!ok) { bad++; console.log(`# ${key}: ${mine.length} records, ${mine.filter((c) => c.status === 'succeeded').length} succeeded, expected ${want}`); }
    }
    console.log(`${bad === 0 ? 'ok' : 'not ok'} ${n++} - ledger: ${lines.length} idempotency keys, each with exactly the expected charges (${charges.length} charges in all)`);
    const leak = Object.values(CARDS).some((num) => JSON.stringify(charges).includes(num));
    console.log(`${leak ? 'not ok' : 'ok'} ${n++} - ledger holds no card number`);
  } else {
    throw new Error(`unknown command ${cmd}`);
  }
} catch (e) {
  console.error(`sandbox-helper: ${e.message}`);
  process.exit(1);
}
