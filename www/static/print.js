// print.js: the print page of a billing document opens the browser's
// print dialog once it has loaded, and again from its Print button.
// A static file because the Content-Security-Policy allows no inline script.
(function () {
  'use strict';
  function print() {
    window.print();
  }
  var b = document.getElementById('print-button');
  if (b) b.addEventListener('click', print);
  if (document.readyState === 'complete') print();
  else window.addEventListener('load', print);
})();
