/* Letter page: keep the count live and copy embed snippets. Works without it too. */
(function () {
  "use strict";
  var script = document.currentScript;
  var api = script && script.getAttribute("data-api");
  var every = 30000;
  var timer = null;

  function show(n) {
    if (typeof n !== "number") return;
    document.querySelectorAll("[data-count]").forEach(function (el) {
      if (el.textContent !== String(n)) el.textContent = String(n);
    });
    document.querySelectorAll("progress[data-live]").forEach(function (bar) { bar.value = n; });
  }

  function schedule() {
    if (api && timer === null && document.visibilityState !== "hidden") timer = setTimeout(poll, every);
  }

  function poll() {
    timer = null;
    if (document.visibilityState === "hidden" || !window.fetch) return;
    fetch(api, { cache: "no-cache", credentials: "omit" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data) show(data.signature_count); })
      .catch(function () {})
      .then(schedule);
  }

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") {
      clearTimeout(timer);
      timer = null;
    } else {
      poll();
    }
  });
  schedule();

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
