// print.js: the print page of a billing document opens the browser's
// print dialog when the client asked to print (Billing Documents > Print
// links to .../print#print) and from its Print button; a plain view of
// the page (a bookmark, a reload, the back button) only shows it.
// A static file because the Content-Security-Policy allows no inline script.
(function () {
  'use strict';
  function print() {
    window.print();
  }
  var b = document.getElementById('print-button');
  if (b) b.addEventListener('click', print);
  if (window.location.hash !== '#print') return;
  // Asked once: a reload of the same address is a plain view.
  if (window.history && window.history.replaceState)
    window.history.replaceState(null, '', window.location.pathname + window.location.search);
  if (document.readyState === 'complete') print();
  else window.addEventListener('load', print);
})();
