// card.js: mounts the card processor's widget on forms marked
// data-card-form, turns the card into a one-time token on submit, puts the
// token (and the card's brand and last 4, for the result page) in the
// form's hidden fields and submits. The card number stays in the
// processor's iframe: this page never sees it. No inline script (the CSP
// forbids it); the widget's element says which processor and key:
//   <div data-card-widget data-provider="sandbox" data-key="pk_...">
(function () {
  'use strict';

  // One adapter per processor: mount(el, key) returns {tokenize()} whose
  // promise resolves to {token, card: {brand, last4}}, or null when the
  // processor's script did not load.
  var adapters = {
    sandbox: function (el, key) {
      if (!window.SandboxTokenizer) return null;
      var w = window.SandboxTokenizer.mount(el, { publishableKey: key });
      return { tokenize: function () { return w.tokenize(); } };
    },
    // Stripe.js: the Card Element, then a PaymentMethod id as the token.
    stripe: function (el, key) {
      if (!window.Stripe) return null;
      var stripe = window.Stripe(key);
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
    }
  };

  var LOAD_ERROR = 'Card entry could not be loaded. Please reload the page and try again.';

  function setup(form) {
    var el = form.querySelector('[data-card-widget]');
    var errEl = form.querySelector('#card-error');
    var newBox = form.querySelector('#new-card');
    var radios = form.querySelectorAll('input[name="card"]');
    var button = form.querySelector('button[type="submit"]');
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
    }

    for (var i = 0; i < radios.length; i++) radios[i].addEventListener('change', sync);
    sync();
    if (el) {
      var make = adapters[el.getAttribute('data-provider')];
      try {
        widget = make ? make(el, el.getAttribute('data-key')) : null;
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

  function start() {
    var forms = document.querySelectorAll('form[data-card-form]');
    for (var i = 0; i < forms.length; i++) setup(forms[i]);
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
