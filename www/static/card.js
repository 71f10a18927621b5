// card.js: mounts the card processor's widget on forms marked
// data-card-form, turns the card into a one-time token on submit, puts the
// token (and the card's brand and last 4, for the result page) in the
// form's hidden fields and submits. The card number stays in the
// processor's iframe: this page never sees it. No inline script (the CSP
// forbids it); the widget's element says which processor and key:
//   <div data-card-widget data-sdk="square" data-provider="square">
//     <span data-name="application_id" data-value="..."></span>...
// On the bank's confirmation page (form data-next-action-form) it performs
// the processor's next action (3-D Secure: its challenge over the page)
// and posts what the SDK handed back.
(function () {
  'use strict';

  // The widget's named values (Stripe's publishable key; Square's
  // application and location ids), from its hidden spans.
  function valuesOf(el) {
    var v = {}, spans = el ? el.querySelectorAll('span[data-name]') : [];
    for (var i = 0; i < spans.length; i++) v[spans[i].getAttribute('data-name')] = spans[i].getAttribute('data-value');
    if (el && !v.publishable_key && el.getAttribute('data-key')) v.publishable_key = el.getAttribute('data-key');
    return v;
  }

  // One adapter per processor SDK: mount(el, values) returns {tokenize()}
  // whose promise resolves to {token, card: {brand, last4}}, or null when
  // the processor's script did not load.
  var adapters = {
    sandbox: function (el, v) {
      if (!window.SandboxTokenizer) return null;
      var w = window.SandboxTokenizer.mount(el, { publishableKey: v.publishable_key });
      return { tokenize: function () { return w.tokenize(); } };
    },
    // Stripe.js: the Card Element, then a PaymentMethod id as the token.
    stripe: function (el, v) {
      if (!window.Stripe) return null;
      var stripe = window.Stripe(v.publishable_key);
      var card = stripe.elements().create('card');
      card.mount(el);
      return {
        tokenize: function () {
          return stripe.createPaymentMethod({ type: 'card', card: card }).then(function (r) {
            if (r.error) throw new Error(r.error.message);
            return {
              token: r.paymentMethod.id,
              card: { brand: r.paymentMethod.card.brand, last4: r.paymentMethod.card.last4 }
            };
          });
        }
      };
    },
    // Square Web Payments SDK: payments(appId, locationId).card(), attach,
    // tokenize (https://developer.squareup.com/reference/sdks/web/payments).
    square: function (el, v) {
      if (!window.Square) return null;
      var payments = window.Square.payments(v.application_id, v.location_id);
      var ready = payments.card().then(function (card) {
        return card.attach(el).then(function () { return card; });
      });
      return {
        tokenize: function () {
          return ready.then(function (card) { return card.tokenize(); }).then(function (r) {
            if (r.status !== 'OK') {
              var e = r.errors && r.errors[0];
              throw new Error(e && e.message ? e.message : 'Your card could not be checked. Please try again.');
            }
            var c = (r.details && r.details.card) || {};
            return { token: r.token, card: { brand: String(c.brand || '').toLowerCase(), last4: c.last4 || '' } };
          });
        }
      };
    }
  };
  function sdkOf(el) { return el.getAttribute('data-sdk') || el.getAttribute('data-provider'); }

  var LOAD_ERROR = 'Card entry could not be loaded. Please reload the page and try again.';

  function setup(form) {
    var el = form.querySelector('[data-card-widget]');
    var errEl = form.querySelector('#card-error');
    var newBox = form.querySelector('#new-card');
    var radios = form.querySelectorAll('input[name="card"]');
    var button = form.querySelector('button[type="submit"]');
    // A live region (role="status") that says "Processing…" while the
    // form is with the portal, for everyone and for screen readers.
    var status = form.querySelector('[data-busy-status]');
    var widget = null;
    var busy = false;

    function showError(msg) {
      if (errEl) errEl.textContent = msg;
      var field = errEl && errEl.closest('.field');
      if (field) field.classList.toggle('invalid', msg !== '');
    }
    // Paying with a saved card needs no widget; "Add Card" (or a form
    // without card choices) does.
    function wantsNew() {
      if (radios.length === 0) return true;
      var r = form.querySelector('input[name="card"]:checked');
      return r !== null && r.value === 'new';
    }
    function sync() {
      if (newBox) newBox.hidden = !wantsNew();
    }
    function setBusy(on) {
      busy = on;
      if (button) {
        button.disabled = on;
        button.setAttribute('aria-busy', on ? 'true' : 'false');
      }
      if (status) status.textContent = on ? status.getAttribute('data-busy-status') : '';
    }

    for (var i = 0; i < radios.length; i++) radios[i].addEventListener('change', sync);
    sync();
    if (el) {
      var make = adapters[sdkOf(el)];
      try {
        widget = make ? make(el, valuesOf(el)) : null;
      } catch (e) {
        widget = null;
      }
      if (!widget) showError(LOAD_ERROR);
    }

    form.addEventListener('submit', function (ev) {
      if (busy) {
        ev.preventDefault();
        return;
      }
      if (!wantsNew() || !el) {
        // A saved card: the form goes as it is, once.
        setBusy(true);
        return;
      }
      ev.preventDefault();
      if (!widget) {
        showError(LOAD_ERROR);
        return;
      }
      showError('');
      setBusy(true);
      widget.tokenize().then(function (t) {
        form.elements.token.value = t.token;
        if (t.card) {
          form.elements.card_brand.value = t.card.brand || '';
          form.elements.card_last4.value = t.card.last4 || '';
        }
        form.submit();
      }, function (e) {
        setBusy(false);
        showError(e && e.message ? e.message : 'Your card could not be checked. Please try again.');
      });
    });
    // Back to a page from the history cache: usable again.
    window.addEventListener('pageshow', function () { setBusy(false); });
  }

  // ---- the bank's confirmation (3-D Secure) ----

  // One performer per next-action kind (gateway.h pgw_next_action): each
  // returns a promise of {result, outcome} ("done", "failed", "canceled").
  var actions = {
    // The sandbox bank's challenge page in a frame over this page; it tells
    // us {type: "pgw-3ds-done"} when answered.
    'sandbox.authenticate': function (a) {
      return new Promise(function (resolve) {
        var origin = new URL(a.url).origin;
        var box = document.createElement('div'), f = document.createElement('iframe');
        var cancel = document.createElement('button');
        box.className = 'challenge';
        box.setAttribute('role', 'dialog');
        box.setAttribute('aria-label', 'Confirm with your bank');
        f.src = a.url;
        f.title = 'Your bank\'s confirmation';
        cancel.type = 'button';
        cancel.className = 'secondary';
        cancel.textContent = 'Cancel';
        function done(outcome) {
          window.removeEventListener('message', onmsg);
          box.remove();
          resolve({ result: '', outcome: outcome });
        }
        function onmsg(ev) {
          if (ev.origin !== origin || ev.source !== f.contentWindow) return;
          var m = ev.data || {};
          if (m.type === 'pgw-3ds-done') done(m.outcome === 'succeed' ? 'done' : 'failed');
        }
        window.addEventListener('message', onmsg);
        cancel.addEventListener('click', function () { done('canceled'); });
        box.appendChild(f);
        box.appendChild(cancel);
        document.body.appendChild(box);
      });
    },
    'stripe.handle_next_action': function (a, w) {
      return window.Stripe(w.publishable_key).handleNextAction({ clientSecret: a.client_secret }).then(stripeDone);
    },
    'stripe.confirm_card_payment': function (a, w) {
      return window.Stripe(w.publishable_key).confirmCardPayment(a.client_secret,
        { payment_method: a.payment_method }).then(stripeDone);
    },
    // Square: verifyBuyer, whose token completes the payment or card save.
    'square.verify_buyer': function (a, w) {
      var details = { intent: a.intent, customerInitiated: a.customer_initiated !== 'false',
                      sellerKeyedIn: a.seller_keyed_in === 'true', billingContact: {} };
      if (a.amount) details.amount = a.amount;
      if (a.currency_code) details.currencyCode = a.currency_code;
      return window.Square.payments(w.application_id, w.location_id).verifyBuyer(a.source_id, details)
        .then(function (r) { return { result: r && r.token ? r.token : '', outcome: r && r.token ? 'done' : 'failed' }; },
              function (e) {
                return { result: '', outcome: /cancel/i.test(e && e.message) ? 'canceled' : 'failed' };
              });
    }
  };
  function stripeDone(r) {
    if (!r.error) return { result: '', outcome: 'done' };
    return { result: '', outcome: /cancel/i.test(r.error.message || '') ? 'canceled' : 'failed' };
  }

  function confirmSetup(form) {
    var el = form.querySelector('[data-next-action]');
    var status = form.querySelector('#action-status');
    var button = form.querySelector('button[type="submit"]');
    var sent = false;
    if (!el) return;
    var a = valuesOf(el), w = valuesOf(form.querySelector('[data-card-widget]'));
    if (el.getAttribute('data-url')) a.url = el.getAttribute('data-url');
    var run = actions[el.getAttribute('data-kind')];
    function post(r) {
      if (sent) return;
      sent = true;
      form.elements.action_result.value = r.result || '';
      form.elements.outcome.value = r.outcome || '';
      if (status) status.textContent = 'Finishing\u2026';
      form.submit();
    }
    function go() {
      if (!run) {
        if (status) status.textContent = 'Your bank\'s confirmation could not be shown here.';
        return;
      }
      if (button) button.disabled = true;
      if (status) status.textContent = 'Waiting for your bank\'s confirmation\u2026';
      var p;
      try {
        p = Promise.resolve(run(a, w));
      } catch (e) {
        p = Promise.resolve({ result: '', outcome: 'failed' });
      }
      p.then(post, function () { post({ result: '', outcome: 'failed' }); });
    }
    form.addEventListener('submit', function (ev) {
      if (!sent) {
        ev.preventDefault();
        go();
      }
    });
    go();
  }

  function start() {
    var forms = document.querySelectorAll('form[data-card-form]');
    for (var i = 0; i < forms.length; i++) setup(forms[i]);
    var confirms = document.querySelectorAll('form[data-next-action-form]');
    for (var j = 0; j < confirms.length; j++) confirmSetup(confirms[j]);
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
