// security.test.mjs: CSRF refusal, signed-out redirects, security headers, and the sign-in page on a phone.
import test from 'node:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { launch, url, need, fetchRaw, locationOf, pathOf, signIn } from './helpers.mjs';

/** csrfFrom(resp): [cookie header value, token of the hidden field] of a
 * sign-in page fetched with fetch(). */
async function csrfFrom(resp) {
  const html = await resp.text();
  const m = html.match(/name="csrf"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf"/);
  const cookies = resp.headers.getSetCookie().map((c) => c.split(';')[0]);
  return [cookies.join('; '), m ? m[1] || m[2] : null];
}

function form(fields) {
  return {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  };
}

test('POST /login without a CSRF token is refused with 403', async () => {
  const r = await fetchRaw('/login', form({ email: 'nobody@example.com', password: 'x'.repeat(14) }));
  assert.equal(r.status, 403);
  assert.equal(r.headers.get('set-cookie')?.includes('__Host-portal_session') ?? false, false);
});

test('POST /login with the CSRF cookie but a forged token is refused with 403', async () => {
  const [cookie, token] = await csrfFrom(await fetchRaw('/login'));
  assert.ok(cookie.includes('__Host-portal_csrf='), 'GET /login sets the CSRF cookie');
  assert.ok(token, 'GET /login has a csrf field');
  const forged = token.slice(0, -2) + (token.endsWith('AA') ? 'BB' : 'AA');
  const r = await fetchRaw('/login', {
    ...form({ email: 'nobody@example.com', password: 'x'.repeat(14), csrf: forged }),
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
  });
  assert.equal(r.status, 403);
});

test('sign-in issues a new session token, never one the browser brought (session fixation)', async () => {
  const [cookie, token] = await csrfFrom(await fetchRaw('/login'));
  const planted = 'f'.repeat(43);
  const r = await fetchRaw('/login', {
    ...form({ email: need('DEMO_EMAIL'), password: need('DEMO_PASSWORD'), csrf: token }),
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      cookie: `${cookie}; __Host-portal_session=${planted}`,
    },
  });
  assert.equal(r.status, 303, 'signed in');
  const set = r.headers.getSetCookie().find((c) => c.startsWith('__Host-portal_session='));
  assert.ok(set, 'a session cookie is set');
  const value = set.split(';')[0].split('=')[1];
  assert.ok(value.length >= 32);
  assert.notEqual(value, planted);
  assert.match(set, /;\s*Secure/i);
  assert.match(set, /;\s*HttpOnly/i);
  assert.match(set, /;\s*SameSite=Lax/i);
  assert.match(set, /;\s*Path=\//i);
  assert.doesNotMatch(set, /;\s*Domain=/i, '__Host- cookies carry no Domain');
});

test('a signed-in POST /logout without the CSRF token is refused and the session survives', async () => {
  const b = await launch();
  try {
    await signIn(b.page, need('DEMO_EMAIL'), need('DEMO_PASSWORD'));
    assert.equal(pathOf(b.page), '/billing', 'demo client signed in');
    // Same cookies as the page, no csrf field: what a forged cross-site form sends.
    const r = await b.context.request.post(url('/logout'), { form: {}, maxRedirects: 0 });
    assert.equal(r.status(), 403);
    const again = await b.page.goto(url('/billing'));
    assert.equal(again.status(), 200);
    assert.equal(pathOf(b.page), '/billing', 'still signed in');
  } finally {
    await b.close();
  }
});

test('a POST carrying another site\'s Origin is refused even with the right CSRF token; the own origin passes', async () => {
  const b = await launch();
  try {
    await signIn(b.page, need('DEMO_EMAIL'), need('DEMO_PASSWORD'));
    assert.equal(pathOf(b.page), '/billing', 'demo client signed in');
    const csrf = await b.page.locator('input[name="csrf"]').first().getAttribute('value');
    for (const origin of ['https://evil.example', 'null', new URL(url('/')).origin.replace('http:', 'https:')]) {
      const r = await b.context.request.post(url('/logout'), {
        form: { csrf }, headers: { Origin: origin }, maxRedirects: 0, failOnStatusCode: false,
      });
      assert.equal(r.status(), 403, `Origin ${origin}: refused`);
    }
    const again = await b.page.goto(url('/billing'));
    assert.equal(pathOf(b.page), '/billing', 'still signed in');
    assert.equal(again.status(), 200);
    const login = await b.context.request.post(url('/login'), {
      form: { email: 'x@example.org', password: 'y', csrf: 'a'.repeat(64) },
      headers: { Origin: 'https://evil.example' }, maxRedirects: 0, failOnStatusCode: false,
    });
    assert.equal(login.status(), 403, 'sign-in from another site is refused too');
    const own = await b.context.request.post(url('/logout'), {
      form: { csrf }, headers: { Origin: new URL(url('/')).origin }, maxRedirects: 0, failOnStatusCode: false,
    });
    assert.equal(own.status(), 303, 'the portal\'s own origin passes (signed out)');
  } finally {
    await b.close();
  }
});

test('a signed-out GET /billing redirects to sign-in', async () => {
  const r = await fetchRaw('/billing');
  assert.equal(r.status, 303);
  assert.match(locationOf(r.headers.get('location')), /^\/login/);
  const b = await launch();
  try {
    await b.page.goto(url('/billing'));
    assert.match(pathOf(b.page), /^\/login/);
    assert.equal(await b.page.locator('h1').innerText(), 'Sign in');
  } finally {
    await b.close();
  }
});

/** checkHeaders(r, what): the security headers every page of portald sends. */
function checkHeaders(r, what) {
  const csp = r.headers.get('content-security-policy');
  assert.ok(csp, `${what}: Content-Security-Policy present`);
  assert.match(csp, /frame-ancestors 'none'/, `${what}: CSP forbids framing`);
  assert.match(csp, /default-src [^;]*'self'|default-src 'none'/, `${what}: CSP has a default-src`);
  const script = (csp.match(/script-src([^;]*)/) || [null, ''])[1];
  assert.doesNotMatch(script, /'unsafe-inline'|'unsafe-eval'/, `${what}: no inline script allowed`);
  assert.equal(r.headers.get('x-content-type-options'), 'nosniff', `${what}: nosniff`);
  assert.ok(r.headers.get('referrer-policy'), `${what}: Referrer-Policy present`);
  assert.equal(r.headers.get('server'), 'nginx', `${what}: no version in Server`);
}

test('pages send CSP with frame-ancestors none, nosniff and Referrer-Policy', async () => {
  const login = await fetchRaw('/login');
  assert.equal(login.status, 200);
  checkHeaders(login, 'GET /login');
  assert.match(login.headers.get('content-type'), /^text\/html; charset=utf-8/i);
  assert.match(login.headers.get('cache-control') || '', /no-store/, 'GET /login: not cached');
  checkHeaders(await fetchRaw('/invite/not-a-real-token'), 'GET /invite/<bad token>');
  checkHeaders(await fetchRaw('/login', form({ email: 'a@example.com', password: 'y' })), 'POST /login 403 page');
});

test('static files come from nginx with nosniff and long cache headers', async () => {
  const html = await (await fetchRaw('/login')).text();
  const hrefs = [...html.matchAll(/<link[^>]+rel="stylesheet"[^>]*href="([^"]+)"|<link[^>]+href="([^"]+)"[^>]*rel="stylesheet"/g)]
    .map((m) => m[1] || m[2]);
  assert.ok(hrefs.length >= 1, 'the sign-in page links a stylesheet');
  for (const href of hrefs) {
    const path = locationOf(href);
    assert.match(path, /^\/static\//, `${href} is under /static/`);
    const r = await fetchRaw(path);
    assert.equal(r.status, 200, `${path} is served`);
    assert.match(r.headers.get('content-type'), /^text\/css/, `${path} is text/css`);
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
    const age = Number((r.headers.get('cache-control') || '').match(/max-age=(\d+)/)?.[1] || 0);
    assert.ok(age >= 86400, `${path} is cached for at least a day (Cache-Control: ${r.headers.get('cache-control')})`);
  }
  const missing = await fetchRaw('/static/no-such-file.css');
  assert.equal(missing.status, 404);
});

test('the sign-in page fits a 390x844 phone screen without horizontal scrolling', async () => {
  const b = await launch({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 3, isMobile: true, hasTouch: true });
  try {
    const resp = await b.page.goto(url('/login'));
    assert.equal(resp.status(), 200);
    const m = await b.page.evaluate(() => ({
      scroll: document.documentElement.scrollWidth,
      client: document.documentElement.clientWidth,
      inner: window.innerWidth,
    }));
    assert.ok(m.scroll <= m.client, `page is ${m.scroll}px wide in a ${m.client}px viewport`);
    assert.equal(m.inner, 390, 'the page sets a device-width viewport');
    for (const el of [b.page.getByLabel('Email', { exact: true }), b.page.getByLabel('Password', { exact: true }),
      b.page.getByRole('button', { name: 'Sign in' })]) {
      const box = await el.boundingBox();
      assert.ok(box, 'visible');
      assert.ok(box.x >= 0 && box.x + box.width <= 390, `within the screen (x=${box.x}, w=${box.width})`);
    }
  } finally {
    await b.close();
  }
});

test('nginx passes its own request id to portald, never the client\'s X-Request-Id', async () => {
  const probe = `rid-probe-${process.pid}-${Date.now()}`;
  const r = await fetchRaw('/login', { headers: { 'user-agent': probe, 'x-request-id': `forged-${probe}` } });
  assert.equal(r.status, 200);
  const logs = join(need('STACK_DIR'), 'log');
  let rid = null;
  let portald = '';
  for (let i = 0; i < 50 && !(rid && portald.includes(`request_id=${rid}`)); i++) {
    await new Promise((res) => setTimeout(res, 100));
    const line = readFileSync(join(logs, 'nginx-access.log'), 'utf8').split('\n').find((l) => l.includes(probe));
    rid = line?.match(/rid=([0-9a-f]{32})/)?.[1] ?? null;
    portald = readFileSync(join(logs, 'portald.log'), 'utf8');
  }
  assert.ok(rid, 'nginx logged a request id for the probe');
  assert.ok(portald.includes(`request_id=${rid}`), `portald logged request_id=${rid}`);
  assert.ok(!portald.includes(`forged-${probe}`), 'the client\'s X-Request-Id never reaches portald');
});
