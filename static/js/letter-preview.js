// Live preview of the letter text while typing. Without JavaScript the
// "Preview the text" button renders the same preview on the server.
(function () {
  "use strict";
  var form = document.querySelector("[data-preview-form]");
  if (!form || !window.fetch) { return; }
  var source = form.querySelector("[data-preview-source]");
  var target = document.querySelector("[data-preview-target]");
  var token = form.querySelector("input[name=csrfmiddlewaretoken]");
  if (!source || !target || !token) { return; }
  var timer = null;
  var latest = 0;

  function render() {
    var ticket = ++latest;
    var body = new FormData();
    body.append("body", source.value);
    fetch(form.dataset.previewUrl, {
      method: "POST",
      body: body,
      headers: { "X-CSRFToken": token.value },
      credentials: "same-origin"
    }).then(function (response) {
      return response.text().then(function (text) {
        return { status: response.status, ok: response.ok, text: text };
      });
    }).then(function (answer) {
      if (ticket !== latest) { return; }
      // The server returns sanitised HTML (nh3); only the newest answer is shown.
      if (answer.ok) { target.innerHTML = answer.text; }
      // Refused (no verified address, too many previews): the plain-text reason.
      else if (answer.status === 403 || answer.status === 429) { target.textContent = answer.text; }
    }).catch(function () { /* keep the last preview; the button still works */ });
  }

  source.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(render, 400);
  });
  if (source.value) { render(); }
})();
