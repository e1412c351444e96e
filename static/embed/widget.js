/* Undersigned widget: shows the live count (js/live-count.js) and sizes its frame. */
(function () {
  "use strict";
  var root = document.querySelector("[data-widget]");
  if (!root) return;
  var api = root.getAttribute("data-api");
  var countEl = root.querySelector("[data-count]");
  var wordEl = root.querySelector("[data-word]");
  var bar = root.querySelector("progress");
  var lang = document.documentElement.lang;
  var numbers = window.Intl ? new Intl.NumberFormat(lang || undefined) : null;
  var plurals = window.Intl && Intl.PluralRules ? new Intl.PluralRules(lang) : null;
  /* The last secret in the fragment: WordPress appends its own "#?secret=" to ours. */
  var found = /.*secret=([A-Za-z0-9]{1,32})/.exec(location.hash);
  var secret = found ? found[1] : "";

  /* The message format WordPress's wp-embed.js understands: {message, value, secret}. */
  function post(message, value) {
    if (window.parent !== window) {
      window.parent.postMessage({ message: message, value: value, secret: secret }, "*");
    }
  }

  function resize() {
    post("height", Math.ceil(document.body.getBoundingClientRect().height));
  }

  function show(n) {
    countEl.textContent = numbers ? numbers.format(n) : String(n);
    countEl.setAttribute("data-count", n);
    var form = plurals && plurals.select(n) === "one" ? "one" : "other";
    wordEl.textContent = wordEl.getAttribute("data-" + form);
    if (bar) bar.value = Math.min(n, bar.max);
  }

  /* In a sandboxed frame: open the letter in a new tab when the sandbox allows popups,
     else ask the host page (WordPress's wp-embed.js) to open it: {message: "link"}. */
  if (self.origin === "null") {
    root.addEventListener("click", function (e) {
      var link = e.target.closest ? e.target.closest("a[href]") : null;
      if (!link || e.altKey || e.ctrlKey || e.metaKey || e.shiftKey) return;
      e.preventDefault();
      var tab = window.open(link.href, "_blank");
      if (tab) {
        try { tab.opener = null; } catch (ignore) { /* already elsewhere */ }
      } else {
        post("link", link.href);
      }
    });
  }

  /* wp-embed.js says "ready" when it loads after the frame: tell it the height again. */
  window.addEventListener("message", function (e) {
    var data = e.data || {};
    if (e.source === window.parent && data.message === "ready" && data.secret === secret) resize();
  });

  if (window.ResizeObserver) new ResizeObserver(resize).observe(document.body);
  window.addEventListener("load", resize);
  resize();
  if (window.Undersigned) {
    Undersigned.liveCount(api, parseInt(countEl.getAttribute("data-count"), 10), show);
  }
})();
