// The proof-of-work worker for the ALTCHA widget (static/vendor/altcha/). Its "external"
// build bundles no workers, so the page's CSP ('self') needs no blob: source: the worker is
// a static file of ours. Loaded after altcha.min.js, before anyone can press "Sign".
(function () {
  "use strict";
  var worker = document.currentScript.getAttribute("data-worker");
  globalThis.$altcha.algorithms.set("PBKDF2/SHA-256", function () {
    return new Worker(worker);
  });
})();
