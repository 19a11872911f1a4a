// Marks tables wider than their box (.table-wrap.scrolls), so the "scroll sideways" hint and the
// cut-edge shadow show only where a table really scrolls (static/css/app.css). Every page.
(function () {
  "use strict";
  function mark() {
    var wraps = document.querySelectorAll(".table-wrap");
    for (var i = 0; i < wraps.length; i++) {
      var w = wraps[i];
      w.classList.toggle("scrolls", w.scrollWidth > w.clientWidth + 1);
    }
  }
  document.addEventListener("DOMContentLoaded", mark);
  window.addEventListener("resize", mark);
  document.addEventListener("htmx:afterSettle", mark);
})();
