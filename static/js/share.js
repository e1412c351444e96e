/* Share panel: copy the link, the phone's own share sheet, and straight on to the Mastodon
   server once the site has checked its name. Without JavaScript the link stays selectable
   and the plain share links work. */
(function () {
  "use strict";
  var status = document.querySelector("[data-share-status]");
  function report(ok) {
    if (status) status.textContent = status.getAttribute(ok ? "data-done" : "data-failed");
  }

  document.querySelectorAll("[data-share-select]").forEach(function (field) {
    field.addEventListener("focus", function () { field.select(); });
  });

  document.querySelectorAll("button[data-share-copy]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var field = document.getElementById(button.getAttribute("data-share-copy"));
      field.focus();
      field.select();
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(field.value).then(
          function () { report(true); }, function () { report(false); });
      } else {
        report(Boolean(document.execCommand && document.execCommand("copy")));
      }
    });
  });

  if (navigator.share) {
    document.querySelectorAll("button[data-share-native]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        navigator.share({
          title: button.getAttribute("data-title"),
          text: button.getAttribute("data-text"),
          url: button.getAttribute("data-url")
        }).catch(function () { /* closed without sharing */ });
      });
    });
  }

  var go = document.querySelector("a[data-share-go]");
  if (go) window.location.replace(go.href);
})();
