/* Letter page: live count (js/live-count.js) and copy buttons. The page works without it. */
(function () {
  "use strict";
  var script = document.currentScript;
  var api = script && script.getAttribute("data-api");
  var countEl = document.querySelector("[data-count]");
  /* Counts are written the way the page's language writes numbers ("1,234", "1 234"). */
  var numbers = window.Intl ? new Intl.NumberFormat(document.documentElement.lang || undefined) : null;

  function show(n) {
    var text = numbers ? numbers.format(n) : String(n);
    document.querySelectorAll("[data-count]").forEach(function (el) {
      if (el.textContent !== text) el.textContent = text;
      if (n > 0) el.hidden = false;
    });
    /* "Be the first to sign" gives way to the number once someone has. */
    document.querySelectorAll("[data-count-empty]").forEach(function (el) { el.hidden = n > 0; });
    document.querySelectorAll("progress[data-live]").forEach(function (bar) { bar.value = n; });
  }

  if (api && countEl && window.Undersigned) {
    Undersigned.liveCount(api, parseInt(countEl.textContent.replace(/\D/g, ""), 10), show);
  }

  /* A link to the embed panel opens the disclosure it sits in. */
  var share = document.getElementById("share");
  function openShare() {
    if (share && (location.hash === "#share" || location.hash === "#embed")) share.open = true;
  }
  openShare();
  window.addEventListener("hashchange", openShare);

  var status = document.querySelector("[data-copy-status]");
  function report(ok) {
    if (status) status.textContent = status.getAttribute(ok ? "data-done" : "data-failed");
  }
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var field = document.getElementById(button.getAttribute("data-copy"));
      field.focus();
      field.select();
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(field.value).then(function () { report(true); }, function () { report(false); });
      } else {
        report(document.execCommand && document.execCommand("copy"));
      }
    });
  });
})();
