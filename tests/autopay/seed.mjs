// seed.mjs: AutoPay test and benchmark data (Node 20, no npm
// dependencies). Saves one card per client at the sandbox simulator (a test
// token, a customer, a saved payment method: the portal never sees the card
// number) and prints SQL that adds the clients, their default cards, one
// unpaid invoice each and their AutoPay enrollment.
//
// Usage: node seed.mjs --sim URL --secret-file F --practice-id N
//          --first-id N --count N [--card NUMBER] [--amount CENTS]
//          [--email-prefix P] [--no-invoice] [--no-enroll] [--parallel N]
// Client ids first-id .. first-id+count-1 are given explicitly; emails are
// P<id>@example.org (default P "ap"). Prints SQL on stdout.
import fs from 'node:fs';

const args = process.argv.slice(2);
function flag(name, def) {
  const i = args.indexOf(name);
  if (i < 0) return def;
  const v = args[i + 1];
  if (v === undefined || v.startsWith('--')) return true;
  return v;
}
const sim = flag('--sim');
const secret = fs.readFileSync(flag('--secret-file'), 'utf8').trim();
const practiceId = Number(flag('--practice-id'));
const firstId = Number(flag('--first-id'));
const count = Number(flag('--count'));
const card = String(flag('--card', '4242424242424242'));
const amount = Number(flag('--amount', '12000'));
const prefix = String(flag('--email-prefix', 'ap'));
const invoice = !args.includes('--no-invoice');
const enroll = !args.includes('--no-enroll');
const parallel = Number(flag('--parallel', '32'));
if (!sim || !Number.isInteger(practiceId) || !Number.isInteger(firstId) ||
    !Number.isInteger(count) || count < 1) {
  console.error('seed.mjs: --sim, --secret-file, --practice-id, --first-id and --count are required');
  process.exit(2);
}

async function post(path, body, bearer) {
  const r = await fetch(sim + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
    body: JSON.stringify(body),
  });
  const j = await r.json();
  if (r.status !== 200) throw new Error(`${path}: ${r.status} ${JSON.stringify(j)}`);
  return j;
}

async function one(i) {
  const id = firstId + i;
  const tok = await post('/__test/tokens', { number: card, exp_month: 12, exp_year: 2034 }, secret);
  const cus = await post('/v1/customers', { reference: `client-${id}` }, secret);
  const pm = await post('/v1/payment_methods', { customer: cus.id, token: tok.id }, secret);
  return { id, cus: cus.id, pm: pm.id, brand: pm.card?.brand ?? 'visa', last4: pm.card?.last4 ?? card.slice(-4) };
}

const rows = new Array(count);
let next = 0;
async function worker() {
  while (next < count) {
    const i = next++;
    rows[i] = await one(i);
  }
}
await Promise.all(Array.from({ length: Math.min(parallel, count) }, worker));

const out = [];
const now = Math.floor(Date.now() / 1000);
const chunk = 500;
function batch(head, values) {
  for (let i = 0; i < values.length; i += chunk)
    out.push(`${head} VALUES\n${values.slice(i, i + chunk).join(',\n')};`);
}
batch('INSERT INTO clients (id, practice_id, first_name, last_name, email, created_at)',
  rows.map((r) => `(${r.id}, ${practiceId}, 'Auto', 'Pay${r.id}', '${prefix}${r.id}@example.org', ${now})`));
batch('INSERT INTO processor_customers (practice_id, client_id, plugin, customer_ref, created_at)',
  rows.map((r) => `(${practiceId}, ${r.id}, 'sandbox', '${r.cus}', ${now})`));
batch('INSERT INTO payment_methods (practice_id, client_id, plugin, customer_ref, processor_pm, brand, last4, exp_month, exp_year, is_default, created_at)',
  rows.map((r) => `(${practiceId}, ${r.id}, 'sandbox', '${r.cus}', '${r.pm}', '${r.brand}', '${r.last4}', 12, 2034, 1, ${now})`));
if (invoice) {
  batch('INSERT INTO invoices (id, practice_id, client_id, number, issued_on, created_at)',
    rows.map((r) => `(${r.id}, ${practiceId}, ${r.id}, 'AP-${r.id}', '2026-03-01', ${now})`));
  batch('INSERT INTO invoice_lines (practice_id, client_id, invoice_id, line_no, date_of_service, description, quantity, unit_amount, amount)',
    rows.map((r) => `(${practiceId}, ${r.id}, ${r.id}, 1, '2026-03-01', 'Individual therapy session (50 min)', 1, ${amount}, ${amount})`));
}
if (enroll)
  batch('INSERT INTO autopay_enrollments (practice_id, client_id, enabled, enrolled_at, updated_at)',
    rows.map((r) => `(${practiceId}, ${r.id}, 1, ${now - 86400 * 30}, ${now})`));
process.stdout.write(out.join('\n') + '\n');
