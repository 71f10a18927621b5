// pages.test.mjs: the finishing of the client pages: the focus ring's contrast against every background it is drawn on (computed from the styles), and the pay page's "Processing…" live region while a payment is with the portal.
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { launch, url, pathOf, signInNew, newClient, fillCard, ownErrors } from './helpers.mjs';

let browser;
let page;

before(async () => {
  const client = newClient('demo', [{ date: '2026-10-03', description: 'Session', amount: '60.00' }]);
  browser = await launch();
  page = browser.page;
  await signInNew(page, client);
  assert.equal(pathOf(page), '/billing', 'signed in');
});
after(async () => {
  if (browser) await browser.close();
});

/**
 * rings(): for each visible focusable element of the page, focused in
 * turn: its outline (style, width, colour) and the colour it is drawn on,
 * the first opaque background among its ancestors (the ring is outside
 * the element, so the element's own fill is not behind it), as
 * [{what, style, width, ring: [r,g,b], bg: [r,g,b]}].
 */
function rings() {
  return page.evaluate(() => {
    const rgb = (s) => {
      const m = s.match(/rgba?\(([^)]+)\)/);
      if (!m) return null;
      const v = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
      return { c: v.slice(0, 3), a: v.length > 3 ? v[3] : 1 };
    };
    const behind = (el) => {
      for (let e = el.parentElement; e; e = e.parentElement) {
        const b = rgb(getComputedStyle(e).backgroundColor);
        if (b && b.a >= 0.99) return b.c;
      }
      return [255, 255, 255]; // the canvas
    };
    const out = [];
    for (const el of document.querySelectorAll('a[href], button, input:not([type=hidden]), select, summary')) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.height === 0 || getComputedStyle(el).visibility === 'hidden') continue;
      el.focus();
      if (document.activeElement !== el) continue;
      const cs = getComputedStyle(el);
      out.push({
        what: `${el.tagName.toLowerCase()} "${(el.innerText || el.value || el.name || el.id || '').trim().slice(0, 30)}"`,
        style: cs.outlineStyle, width: parseFloat(cs.outlineWidth),
        ring: (rgb(cs.outlineColor) || { c: [0, 0, 0] }).c, bg: behind(el),
      });
      el.blur();
    }
    return out;
  });
}

/** contrast(a, b): the WCAG 2 contrast ratio of two sRGB colours. */
function contrast(a, b) {
  const lum = ([r, g, b2]) => {
    const f = (v) => { v /= 255; return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b2);
  };
  const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

test('the focus ring has at least 3:1 contrast on every background it appears on', async () => {
  // The pages a client uses, with an alert (a bad date range) and a notice.
  const paths = ['/billing', '/billing/pay', '/billing/payment-methods', '/billing/payment-methods/new',
    '/billing/documents', '/billing/history', '/billing/history?from=2026-12-01&to=2026-01-01', '/documents'];
  const seen = new Set();
  let checked = 0;
  for (const p of paths) {
    await page.goto(url(p));
    for (const r of await rings()) {
      checked++;
      seen.add(r.bg.join(','));
      assert.notEqual(r.style, 'none', `${p}: ${r.what} shows a focus ring`);
      assert.ok(r.width >= 2, `${p}: ${r.what}: the ring is at least 2px (${r.width})`);
      const c = contrast(r.ring, r.bg);
      assert.ok(c >= 3, `${p}: ${r.what}: ring rgb(${r.ring}) on rgb(${r.bg}) is ${c.toFixed(2)}:1, under 3:1`);
    }
  }
  assert.ok(checked >= 20, `focusable elements were checked (${checked})`);
  assert.ok(seen.size >= 2, `more than one background was met (${[...seen].join(' | ')})`);
  // The alert's and the notice's own backgrounds, with a link inside each.
  for (const bg of ['#fef3f2', '#ecfdf3', '#f5f7fa', '#ffffff']) {
    const ring = await page.evaluate((b) => {
      const d = document.createElement('div');
      d.style.background = b;
      const a = document.createElement('a');
      a.href = '#x';
      a.textContent = 'x';
      d.appendChild(a);
      document.querySelector('main').appendChild(d);
      a.focus();
      const out = { ring: getComputedStyle(a).outlineColor, bg: getComputedStyle(d).backgroundColor };
      d.remove();
      return out;
    }, bg);
    const num = (s) => s.match(/\d+/g).slice(0, 3).map(Number);
    const c = contrast(num(ring.ring), num(ring.bg));
    assert.ok(c >= 3, `ring ${ring.ring} on ${bg} is ${c.toFixed(2)}:1`);
  }
});

test('submitting a payment says "Processing…" in a live region and keeps the button disabled until the answer', async () => {
  await page.goto(url('/billing/pay'));
  const status = page.locator('form.pay [role="status"]');
  assert.equal(await status.getAttribute('aria-live'), 'polite', 'a polite live region is on the page before submitting');
  assert.equal((await status.innerText()).trim(), '', 'it is empty until then');
  await page.getByLabel('Add Card').check();
  await fillCard(page, '4242 4242 4242 4242');
  // The processor answers the charge after 3 s (the simulator's latency
  // knob, for one POST), so the page can be looked at meanwhile.
  const f = await fetch(`${process.env.SIM_URL}/__admin/faults`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ latency_ms: 3000, count: 1, match: '/v1/charges' }),
  });
  assert.equal(f.status, 200);
  // What the live region says and whether the button is disabled, each
  // time the region changes, kept in sessionStorage (it outlives the
  // page, so nothing races the answer's arrival).
  await page.evaluate(() => {
    const st = document.querySelector('form.pay [role="status"]');
    const btn = document.querySelector('form.pay button[type="submit"]');
    new MutationObserver(() => {
      sessionStorage.setItem('busy', JSON.stringify({ text: st.textContent, disabled: btn.disabled }));
    }).observe(st, { childList: true, characterData: true, subtree: true });
  });
  const nav = page.waitForNavigation({ timeout: 30000 });
  await page.locator('form.pay button[type="submit"]').click();
  await nav;
  const seen = JSON.parse(await page.evaluate(() => sessionStorage.getItem('busy')) || '{}');
  assert.equal(seen.text, 'Processing…', 'the live region announced Processing…');
  assert.equal(seen.disabled, true, 'the button was disabled while the payment was with the portal');
  await fetch(`${process.env.SIM_URL}/__admin/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  assert.match(await page.locator('main').innerText(), /Payment|Thank you|received/i, 'the answer came');
  assert.deepEqual(ownErrors(browser.context), []);
});
