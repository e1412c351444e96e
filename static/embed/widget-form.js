/* Undersigned widget sign form: after a send, the focus goes to what answers it (the
   list of problems, or "check your inbox"), so a screen reader reads it first. */
(function () {
  "use strict";
  var answer = document.querySelector("[data-focus]");
  if (answer) answer.focus();
})();
