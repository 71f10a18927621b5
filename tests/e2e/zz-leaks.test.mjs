// zz-leaks.test.mjs: runs last (files run in name order): after every flow above, no test card number is in any log, the database dump, or any file under the stack's directory.
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { openSync, readSync, closeSync, readdirSync, lstatSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { need } from './helpers.mjs';

// The sandbox's test cards, with or without spaces (or dashes) between
// the groups of four.
const CARDS = ['4242424242424242', '4000000000000002', '4000000000009995', '4000000000000341',
  '4000002760003184'];
const pattern = (n) => n.match(/.{4}/g).join('[ -]?');
const CARD_RE = new RegExp(CARDS.map(pattern).join('|'));

/** scanFile(path): the first card number found in the file's bytes (read
 * as Latin-1 in chunks that overlap by a card's length), or null. */
function scanFile(path) {
  const fd = openSync(path, 'r');
  const size = 1 << 20;
  const buf = Buffer.alloc(size);
  let carry = '';
  let found = null;
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, size, null);
      if (n <= 0) break;
      const text = carry + buf.toString('latin1', 0, n);
      const m = text.match(CARD_RE);
      if (m) {
        found = m[0];
        break;
      }
      carry = text.slice(-24);
    }
  } finally {
    closeSync(fd);
  }
  return found;
}

/** walk(dir): every regular file under dir (symbolic links not followed). */
function walk(dir, out = []) {
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const e of entries) {
    const p = join(dir, e);
    const st = lstatSync(p, { throwIfNoEntry: false });
    if (!st) continue;
    if (st.isDirectory()) walk(p, out);
    else if (st.isFile()) out.push(p);
  }
  return out;
}

test('the leak check itself finds a card number in a file', async () => {
  const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const d = mkdtempSync(join(tmpdir(), 'leak-check-'));
  try {
    writeFileSync(join(d, 'a.log'), Buffer.concat([Buffer.alloc(1 << 20, 'x'), Buffer.from('4000 0000 0000 9995')]));
    assert.equal(scanFile(join(d, 'a.log')), '4000 0000 0000 9995', 'found across a chunk boundary');
    writeFileSync(join(d, 'b.log'), 'last4=4242 ok');
    assert.equal(scanFile(join(d, 'b.log')), null, 'the last 4 alone are fine');
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});

test('no test card number in any log, database dump or file under the stack dir', () => {
  const dir = need('STACK_DIR');
  const dump = execFileSync('mariadb-dump', ['--socket', need('PORTAL_DB_SOCKET'), '-u', 'root',
    '--single-transaction', '--skip-extended-insert', '--all-databases'],
  { encoding: 'latin1', maxBuffer: 1 << 30 });
  assert.ok(dump.length > 1000 && /CREATE TABLE/.test(dump), 'the dump has the schema');
  assert.match(dump, /INSERT INTO/, 'and rows');
  const inDump = dump.match(CARD_RE);
  assert.equal(inDump, null, `a card number in the database dump: ${inDump && inDump[0]}`);

  const files = walk(dir);
  assert.ok(files.some((f) => f.endsWith(join('log', 'portald.log'))), 'the logs are among the files');
  assert.ok(files.some((f) => f.endsWith('sandbox-sim.log')), 'the simulator log too');
  const hits = [];
  for (const f of files) {
    const m = scanFile(f);
    if (m) hits.push(`${f}: ${m}`);
  }
  assert.deepEqual(hits, [], 'card numbers found');
});

test('no invitation or password-reset token in the access log (the flows above opened several)', () => {
  const dir = need('STACK_DIR');
  const log = readFileSync(join(dir, 'log', 'nginx-access.log'), 'latin1');
  assert.match(log, /"GET \/invite\/- HTTP\/1\.1" 200/, 'invitation links were opened, and logged without their token');
  const hits = log.split('\n').filter((l) => /\/(invite|reset)\/[A-Za-z0-9_-]{16,}/.test(l));
  assert.deepEqual(hits.slice(0, 3), [], 'token-bearing paths in the access log');
  for (const f of ['portald.log', 'nginx-error.log']) {
    const text = readFileSync(join(dir, 'log', f), 'latin1');
    assert.doesNotMatch(text, /\/(invite|reset)\/[A-Za-z0-9_-]{16,}/, `a token in ${f}`);
  }
});
