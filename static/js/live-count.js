/* Undersigned live count, shared by the letter page and the embeddable widget. */
(function () {
  "use strict";
  var every = 20000;

  /* Poll the letter's JSON at `url` every 20 s while the page is visible, and at once when
     it becomes visible again; call show(n) whenever the count differs from `count`.
     cache: "no-cache" has the browser revalidate with the ETag it holds (If-None-Match),
     so an unchanged count costs a 304. A sandboxed frame gets no such revalidation and the
     whole (small) JSON; sending If-None-Match by hand would add CORS preflights there. */
  function liveCount(url, count, show) {
    var timer = null;

    function schedule() {
      if (timer === null && document.visibilityState !== "hidden") timer = setTimeout(poll, every);
    }

    function poll() {
      clearTimeout(timer);
      timer = null;
      if (document.visibilityState === "hidden" || !window.fetch) return;
      fetch(url, { cache: "no-cache", credentials: "omit" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          var n = data && data.signature_count;
          if (typeof n === "number" && n !== count) {
            count = n;
            show(n);
          }
        })
        .catch(function () {})
        .then(schedule);
    }

    /* Hidden: the pending poll is cancelled and none follows. Visible again: poll now. */
    document.addEventListener("visibilitychange", poll);
    schedule();
  }

  window.Undersigned = window.Undersigned || {};
  window.Undersigned.liveCount = liveCount;
})();
