/* Sign form: after a failed submit, move focus to the error summary so that screen readers
   read it first; its links focus their field. Without JavaScript the page still lands at
   the form through the #sign anchor of its action. */
(function () {
  "use strict";
  var summary = document.querySelector("[data-error-summary]");
  if (!summary) return;
  // The browser moves focus to the page when it scrolls to the #sign of the address, which
  // may happen after this script runs: focus the summary again once the page has loaded.
  function focusSummary() { summary.focus({ preventScroll: true }); }
  summary.focus();
  if (document.readyState === "complete") {
    window.requestAnimationFrame(focusSummary);
  } else {
    window.addEventListener("load", function () { window.requestAnimationFrame(focusSummary); });
  }
  summary.addEventListener("click", function (event) {
    var link = event.target.closest("a[href^='#']");
    var field = link && document.getElementById(link.getAttribute("href").slice(1));
    if (!field) return;
    event.preventDefault();
    var label = document.querySelector("label[for='" + field.id + "']");
    (label || field).scrollIntoView({ block: "center" });
    field.focus({ preventScroll: true });
  });
})();
