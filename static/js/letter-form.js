/* Letter form: a new letter's address follows its title until the organizer types one, and
   the closing date's time zone starts as the browser's. The form works without it. */
(function () {
  "use strict";
  var slug = document.querySelector("input[data-from-title]");
  var title = document.getElementById("id_title");

  /* Close to Django's slugify, which the server applies when the field is left empty. */
  function slugify(text) {
    return text.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase()
      .replace(/[^\w\s-]/g, "").replace(/[-\s]+/g, "-").slice(0, 73).replace(/^[-_]+|[-_]+$/g, "");
  }

  if (slug && title && !slug.disabled) {
    var follows = slug.value === "" || slug.value === slugify(title.value);
    title.addEventListener("input", function () {
      if (follows) slug.value = slugify(title.value);
    });
    slug.addEventListener("input", function () { follows = slug.value === ""; });
  }

  var zone = document.querySelector("select[data-suggest]");
  var browserZone = window.Intl && Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (zone && browserZone && zone.querySelector('option[value="' + browserZone.replace(/"/g, "") + '"]')) {
    zone.value = browserZone;
  }
})();
