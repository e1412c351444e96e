{% load i18n %}/* Undersigned embed: each <script data-letter="slug"> becomes a live, self-sizing counter. */
(function () {
  "use strict";
  var origin = "{{ site_url|escapejs }}";
  var base = "{{ widget_base|escapejs }}";
  var title = "{{ _('Live signature count')|escapejs }}";
  var names = ["theme", "size", "lang", "goal", "ref", "form"];
  var state = window.undersignedEmbed = window.undersignedEmbed || { frames: [], listening: false };

  function secret() {
    var chars = "abcdefghijklmnopqrstuvwxyz0123456789", s = "";
    var bytes = window.crypto ? window.crypto.getRandomValues(new Uint8Array(10)) : [];
    for (var i = 0; i < 10; i++) s += chars.charAt((bytes[i] || Math.floor(Math.random() * 256)) % 36);
    return s;
  }

  function embed(script) {
    var slug = script.getAttribute("data-letter");
    if (!slug || script.getAttribute("data-embedded")) return;
    script.setAttribute("data-embedded", "1");
    var query = [];
    names.forEach(function (name) {
      var value = script.getAttribute("data-" + name);
      if (value) query.push(name + "=" + encodeURIComponent(value));
    });
    var key = secret();
    var frame = document.createElement("iframe");
    frame.src = base + encodeURIComponent(slug) + "/" + (query.length ? "?" + query.join("&") : "") + "#?secret=" + key;
    frame.title = script.getAttribute("data-title") || title;
    frame.setAttribute("data-secret", key);
    frame.width = "400";
    frame.height = script.getAttribute("data-size") === "compact" ? "130" : "205";
    frame.setAttribute("loading", "lazy");
    frame.style.border = "0";
    frame.style.maxWidth = "100%";
    script.parentNode.insertBefore(frame, script.nextSibling);
    state.frames.push(frame);
  }

  if (!state.listening) {
    state.listening = true;
    window.addEventListener("message", function (e) {
      var data = e.data || {};
      if (e.origin !== origin || data.message !== "height") return;
      state.frames.forEach(function (frame) {
        if (frame.contentWindow === e.source && frame.getAttribute("data-secret") === data.secret) {
          frame.height = String(Math.max(60, Math.min(1000, parseInt(data.value, 10) || 0)));
        }
      });
    });
  }

  var scripts = document.querySelectorAll('script[data-letter][src^="' + origin + '/"]');
  Array.prototype.forEach.call(scripts, embed);
})();
